using Catalytic.Admin.Data;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Data;

/// <summary>
/// No connection of the app checkpoints on commit; the background checkpointer must keep the WAL short anyway,
/// or it would grow by every page ever written (and every read would search it).
/// </summary>
public sealed class SqliteCheckpointerTests
{
    [Fact]
    public async Task UnderSustainedWrites_TheWalStartsOverInsteadOfGrowing()
    {
        await using var app = new AppFactory();
        var team = await app.CreateTeamAsync();
        var directory = app.Get<UserDirectory>();
        var wal = app.DatabasePath + "-wal";

        // Written for about three seconds, by several writers at once as an IdP does: tens of megabytes of
        // pages in all, far past what a WAL that never starts over would hold.
        var written = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; DateTime.UtcNow < until; i++)
            {
                var created = await directory.CreateAsync(team.Id, new UserProfile
                {
                    UserName = $"w{worker}n{i}",
                    Email = $"w{worker}n{i}@example.com",
                    GivenName = new string('g', 200),
                    FamilyName = new string('f', 200),
                }, UserSource.Idp, TestContext.Current.CancellationToken);
                Assert.True(created.Succeeded);
                Interlocked.Increment(ref written);
            }
        }, TestContext.Current.CancellationToken)));

        // Measured here: a WAL that never starts over holds ~37 KB per user written; with the checkpointer it
        // starts over each time it passes 4,000 pages, at most a quarter second of writes later.
        var walBytes = new FileInfo(wal).Length;
        Assert.True(written > 300, $"only {written} users written");
        Assert.True(walBytes < written * 12L * 1024, $"{written} users: the WAL is {walBytes / 1024} KB; it did not start over.");
    }
}
