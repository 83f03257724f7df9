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

        // Several writers at once, as an IdP does, until about three times the pages after which the WAL must
        // start over have been written (a user here costs ~37 KB of WAL: long names, five indexes, the count).
        const long bytesPerUser = 37 * 1024;
        var threshold = SqliteCheckpointer.PagesBeforeStartingOver * 4096;
        var target = (int)(3 * threshold / bytesPerUser);
        var written = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; Volatile.Read(ref written) < target && DateTime.UtcNow < until; i++)
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

        // Never started over, the WAL would hold all of it (~3 × the threshold); the checkpointer keeps it near
        // the threshold plus what a quarter second of writes adds.
        var walBytes = new FileInfo(wal).Length;
        Assert.True(written >= target, $"only {written} of {target} users written in a minute");
        Assert.True(walBytes < 2 * threshold, $"{written} users: the WAL is {walBytes / 1024} KB; it did not start over.");
    }
}
