using Catalytic.Admin.Data;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Data;

/// <summary>
/// On SQLite, concurrent user writes are saved in groups by prepared statements instead of one EF Core
/// SaveChanges each. What must not change: every row is what EF writes and reads back, a request refused by a
/// unique index or a stale version fails alone and the rest of its group is saved, and no update is lost.
/// </summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private UserDirectory Directory => app.Get<UserDirectory>();

    [Fact]
    public async Task RowsWrittenByTheGroupWriter_ReadBackThroughEf_AsTheyWereSaved()
    {
        var created = await app.CreateUserAsync(team, "roundtrip", UserSource.Idp, externalId: "ext-9");
        var updated = (await Directory.UpdateAsync(team.Id, created.Id, p => p with
        {
            GivenName = "Zoë",
            Email = "Round.Trip@Example.com",
            PrimaryPhone = null,
            Active = false,
        }, UserSource.Idp, ct: Ct)).User!;

        await using var db = await app.DbAsync();
        var row = await db.Users.AsNoTracking().SingleAsync(u => u.Id == created.Id, Ct);
        foreach (var property in db.Model.FindEntityType(typeof(User))!.GetProperties())
        {
            var info = property.PropertyInfo!;
            Assert.True(Equals(info.GetValue(updated), info.GetValue(row)), $"{property.Name}: saved '{info.GetValue(updated)}', EF reads '{info.GetValue(row)}'.");
        }

        Assert.Equal(2, row.Version);
        Assert.Equal("ROUND.TRIP@EXAMPLE.COM", row.NormalizedEmail);
        Assert.Null(row.PrimaryPhone);
        Assert.Equal(DateTimeKind.Utc, row.CreatedAt.Kind);

        // Stored as EF stores them: the enum as its name, so EF's own queries on it keep working.
        Assert.Equal(1, await db.Users.CountAsync(u => u.Id == created.Id && u.Source == UserSource.Idp && !u.Active, Ct));
    }

    [Fact]
    public async Task ConcurrentCreates_TheOneWithATakenUserNameFailsAlone()
    {
        var names = Enumerable.Range(0, 40).Select(i => $"crowd{i:D2}").Concat(["crowd07", "crowd21"]).ToArray();
        var results = await Task.WhenAll(names.Select(name => Task.Run(() => Directory.CreateAsync(team.Id, new UserProfile
        {
            UserName = name,
            Email = $"{name}@example.com",
        }, UserSource.Idp, Ct), Ct)));

        Assert.Equal(40, results.Count(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(UserErrorKind.Uniqueness, r.Error!.Kind));
        Assert.Equal(2, results.Count(r => !r.Succeeded));
        await using var db = await app.DbAsync();
        Assert.Equal(41, await db.Users.CountAsync(u => u.TeamId == team.Id, Ct));
        Assert.Equal(41, (await Directory.ListAsync(team.Id, null, 0, 1, ct: Ct)).TotalResults);
    }

    [Fact]
    public async Task ConcurrentChangesToOneUser_AreAllKept()
    {
        var user = await app.CreateUserAsync(team, "contested");
        var fields = new Func<UserProfile, UserProfile>[]
        {
            p => p with { GivenName = "G" },
            p => p with { FamilyName = "F" },
            p => p with { DisplayName = "D" },
            p => p with { PrimaryPhone = "+1 555 0199" },
        };

        // A stale version in the group fails that request alone; the directory reads again and retries.
        var results = await Task.WhenAll(fields.Select(change => Task.Run(
            () => Directory.UpdateAsync(team.Id, user.Id, p => change(p), UserSource.Idp, ct: Ct), Ct)));

        var saved = await Directory.FindAsync(team.Id, user.Id, Ct);
        Assert.NotNull(saved);
        foreach (var (result, check) in results.Zip(new Func<User, bool>[]
        {
            u => u.GivenName == "G", u => u.FamilyName == "F", u => u.DisplayName == "D", u => u.PrimaryPhone == "+1 555 0199",
        }))
        {
            // Either it was applied, or it told the caller it could not be (never silently lost).
            Assert.True(result.Succeeded ? check(saved) : result.Error!.Kind == UserErrorKind.VersionMismatch);
        }

        Assert.Equal(1 + results.Count(r => r.Succeeded), saved.Version);
    }

    [Fact]
    public async Task ADeleteOfAUserChangedSinceItWasRead_IsRefusedAndTheUserStays()
    {
        var user = await app.CreateUserAsync(team, "moving");
        Assert.True((await Directory.SetActiveAsync(team.Id, user.Id, false, UserSource.Idp, Ct)).Succeeded);

        var refused = await Directory.DeleteAsync(team.Id, user.Id, expectedVersion: 1, ct: Ct);
        Assert.Equal(UserErrorKind.VersionMismatch, refused?.Kind);
        Assert.NotNull(await Directory.FindAsync(team.Id, user.Id, Ct));

        Assert.Null(await Directory.DeleteAsync(team.Id, user.Id, expectedVersion: 2, ct: Ct));
        Assert.Null(await Directory.FindAsync(team.Id, user.Id, Ct));
    }

    [Fact]
    public void TheAppOnSqlite_GroupsItsUserWrites() => Assert.True(app.Get<GroupCommit>().GroupsWrites);
}
