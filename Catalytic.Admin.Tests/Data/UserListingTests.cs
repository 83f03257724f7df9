using System.Data.Common;
using Catalytic.Admin.Data;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Catalytic.Admin.Tests.Data;

/// <summary>
/// The listing an IdP's import reads (all users, created order) takes its total from the trigger-kept
/// TeamUserCounts and starts pages at the previous page's last key. Whatever happened in between, every page
/// must be exactly the page EF Core reads with COUNT, ORDER BY and OFFSET at that moment, over the accounts an IdP
/// sees (local accounts, such as each team's first admin, are neither listed nor counted).
/// </summary>
public sealed class UserListingTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private UserDirectory Directory => app.Get<UserDirectory>();

    [Fact]
    public async Task TheAppOnSqlite_ListsThroughTheFastPath() =>
        Assert.NotNull(await app.Get<IHotPathReads>().ListUsersByCreatedAsync(team.Id, 0, 1, Ct));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public async Task PageAfterPage_IsEfsPage_EveryUserOnce(int pageSize)
    {
        // Some users share a creation time (the test clock stands still), so the id breaks the tie.
        for (var i = 0; i < 4; i++)
        {
            await app.CreateUsersAsync(team, 6, prefix: $"batch{i}x");
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var seen = new List<Guid>();
        for (var skip = 0; ; skip += pageSize)
        {
            var page = await Directory.ListForIdpAsync(team.Id, null, skip, pageSize, ct: Ct);
            await AssertIsEfPageAsync(page, skip, pageSize);
            seen.AddRange(page.Users.Select(u => u.Id));
            if (page.Users.Count < pageSize)
            {
                break;
            }
        }

        Assert.Equal(24, seen.Count); // the team's first admin is local: not listed
        Assert.Equal(24, seen.Distinct().Count());
    }

    [Fact]
    public async Task CreatesAndDeletesBetweenPages_ShiftThePagesAsEfWould()
    {
        var users = await app.CreateUsersAsync(team, 30);
        var skip = 0;
        for (var round = 0; round < 6; round++, skip += 5)
        {
            await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, skip, 5, ct: Ct), skip, 5);

            // Positions before the next page move: a user already read goes, one appears at the end, and one
            // created "earlier" (the clock set back) lands before the cursor.
            Assert.Null(await Directory.DeleteAsync(team.Id, users[round].Id, ct: Ct));
            await app.CreateUserAsync(team, $"late{round}");
            app.Clock.Advance(TimeSpan.FromHours(-1));
            await app.CreateUserAsync(team, $"early{round}");
            app.Clock.Advance(TimeSpan.FromHours(1));
            await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, skip + 5, 5, ct: Ct), skip + 5, 5);
        }
    }

    [Fact]
    public async Task PagesInAnyOrder_AndPastTheEnd_AreEfsPages()
    {
        await app.CreateUsersAsync(team, 40);
        foreach (var (skip, take) in new[] { (30, 10), (10, 10), (0, 10), (35, 10), (20, 3), (41, 10), (45, 10), (0, 0), (39, 100) })
        {
            await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, skip, take, ct: Ct), skip, take);
        }
    }

    [Fact]
    public async Task ConcurrentImports_WhileUsersAreCreated_SeeEfsTotalsAndNoDuplicates()
    {
        await app.CreateUsersAsync(team, 60);
        var creating = Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                app.Clock.Advance(TimeSpan.FromMilliseconds(1)); // as in life: each one later than all before
                await app.CreateUserAsync(team, $"during{i}");
            }
        }, Ct);
        var imports = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var ids = new List<Guid>();
            for (var skip = 0; ; skip += 10)
            {
                var page = await Directory.ListForIdpAsync(team.Id, null, skip, 10, ct: Ct);
                Assert.InRange(page.TotalResults, 60, 80); // the local admin is not listed
                ids.AddRange(page.Users.Select(u => u.Id));
                if (page.Users.Count < 10)
                {
                    return ids;
                }
            }
        }, Ct)).ToArray();
        await creating;

        // New users only append (each created later than all others), so no reader sees one twice or misses an old one.
        foreach (var ids in await Task.WhenAll(imports))
        {
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.True(ids.Count >= 60);
        }

        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 70, 20, ct: Ct), 70, 20);
    }

    [Fact]
    public async Task AListedUser_RendersAsTheSameScimResourceAsAGetById()
    {
        // The page reads only the columns a SCIM resource shows; every one of them must be set and come back.
        var user = await app.CreateUserAsync(team, "everything", UserSource.Idp, externalId: "ext-all");
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True((await Directory.SetActiveAsync(team.Id, user.Id, false, UserSource.Idp, Ct)).Succeeded);

        var listed = (await Directory.ListForIdpAsync(team.Id, null, 0, 100, ct: Ct)).Users.Single(u => u.Id == user.Id);
        var found = await Directory.FindAsync(team.Id, user.Id, Ct);
        Assert.Equal(Render(found!), Render(listed));
        Assert.Contains("\"active\":false", Render(listed));
        Assert.Contains("ext-all", Render(listed));
    }

    private static string Render(User user)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            Catalytic.Admin.Scim.ScimUserResource.Write(writer, user, "https://example.com/scim/v2/acme/Users/" + user.Id, Catalytic.Admin.Scim.ScimProjection.From(new Microsoft.AspNetCore.Http.QueryCollection()));
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public async Task OtherTeams_AreNeitherCountedNorListed()
    {
        var other = await app.CreateTeamAsync("other");
        await app.CreateUsersAsync(other, 12, prefix: "theirs");
        await app.CreateUsersAsync(team, 3);

        // Each team's first admin is a local account: not an IdP's to see.
        var page = await Directory.ListForIdpAsync(team.Id, null, 0, 100, ct: Ct);
        Assert.Equal(3, page.TotalResults);
        Assert.All(page.Users, u => Assert.Equal(team.Id, u.TeamId));
        Assert.Equal(12, (await Directory.ListForIdpAsync(other.Id, null, 0, 100, ct: Ct)).TotalResults);
    }

    [Fact]
    public async Task Counts_FollowCreatesDeletesAndTheTeamsRemoval()
    {
        var users = await app.CreateUsersAsync(team, 5);
        Assert.Equal((5L, 5L), await CountRowAsync(team.Id)); // five; the team's first admin is local, so not counted
        Assert.Null(await Directory.DeleteAsync(team.Id, users[0].Id, ct: Ct));
        Assert.Equal((4L, 6L), await CountRowAsync(team.Id));

        // An update of a listed column other than the order keys changes nothing.
        await using (var db = await app.DbAsync())
        {
            await db.Users.Where(u => u.Id == users[1].Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.DisplayName, "Renamed"), Ct);
        }

        Assert.Equal((4L, 6L), await CountRowAsync(team.Id));

        // Every user update writes all columns, the password hash included; an unchanged one changes nothing either.
        Assert.True((await Directory.SetActiveAsync(team.Id, users[2].Id, false, UserSource.Idp, Ct)).Succeeded);
        Assert.Equal((4L, 6L), await CountRowAsync(team.Id));

        // A row that gains a password hash leaves the count (and the cursors go); losing it brings it back.
        await SetPasswordHashAsync(users[3].Id, "hash");
        Assert.Equal((3L, 7L), await CountRowAsync(team.Id));
        await SetPasswordHashAsync(users[3].Id, null);
        Assert.Equal((4L, 8L), await CountRowAsync(team.Id));

        await using (var db = await app.DbAsync())
        {
            await db.Teams.Where(t => t.Id == team.Id).ExecuteDeleteAsync(Ct);
        }

        Assert.Null(await CountRowAsync(team.Id));
    }

    [Fact]
    public async Task TheMigration_CountsTheUsersADatabaseAlreadyHad()
    {
        await app.CreateUsersAsync(team, 7);
        await app.CreateUserAsync(team, "beforeupgrade");
        await using (var db = await app.DbAsync())
        {
            // Back to the schema before the counts (their table goes with it), then up again: the users the
            // database already has must be counted (not the local admin).
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("20261129164927_Initial", cancellationToken: Ct);
            await migrator.MigrateAsync(cancellationToken: Ct);
        }

        Assert.Equal(8L, (await CountRowAsync(team.Id))?.Users);
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 0, 100, ct: Ct), 0, 100);
    }

    [Fact]
    public async Task TheMigration_ExcludingLocalAccounts_RecountsBothWaysAndItsTriggersFollowThePasswordHash()
    {
        var users = await app.CreateUsersAsync(team, 4);
        await using (var db = await app.DbAsync())
        {
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("20261203082239_SecurityHardening", cancellationToken: Ct);
            Assert.Equal(5L, (await CountRowAsync(team.Id))?.Users); // before: everyone, the local admin included

            // Under the old triggers a change of the password hash is not counted at all.
            await SetPasswordHashAsync(users[0].Id, "hash");
            Assert.Equal(5L, (await CountRowAsync(team.Id))?.Users);

            await migrator.MigrateAsync(cancellationToken: Ct);
        }

        var (upgraded, changes) = (await CountRowAsync(team.Id))!.Value;
        Assert.Equal(3L, upgraded); // neither the first admin nor the user who became local
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 0, 100, ct: Ct), 0, 100);

        await SetPasswordHashAsync(users[0].Id, null);
        Assert.Equal((4L, changes + 1), await CountRowAsync(team.Id));
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 0, 100, ct: Ct), 0, 100);

        await using (var db = await app.DbAsync())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261203082239_SecurityHardening", cancellationToken: Ct);
        }

        Assert.Equal(5L, (await CountRowAsync(team.Id))?.Users); // down again: everyone
    }

    [Fact]
    public async Task AUserBecomingLocalBetweenPages_ShiftsThePagesAsEfWould()
    {
        var users = await app.CreateUsersAsync(team, 20);
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 0, 5, ct: Ct), 0, 5);
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 5, 5, ct: Ct), 5, 5);

        // A user already read leaves the IdP's view: the cursor at position 10 no longer points at the 11th user.
        await SetPasswordHashAsync(users[2].Id, "hash");
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 10, 5, ct: Ct), 10, 5);
        await SetPasswordHashAsync(users[2].Id, null);
        await AssertIsEfPageAsync(await Directory.ListForIdpAsync(team.Id, null, 10, 5, ct: Ct), 10, 5);
    }

    private async Task SetPasswordHashAsync(Guid userId, string? hash)
    {
        await using var db = await app.DbAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, hash), Ct);
    }

    private async Task AssertIsEfPageAsync(UserPage page, int skip, int take)
    {
        await using var db = await app.DbAsync();
        var all = db.Users.AsNoTracking().Where(u => u.TeamId == team.Id && u.PasswordHash == null);
        var expected = await all.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).Skip(skip).Take(take).Select(u => u.Id).ToListAsync(Ct);
        Assert.Equal(await all.CountAsync(Ct), page.TotalResults);
        Assert.Equal(expected, page.Users.Select(u => u.Id).ToList());
    }

    private async Task<(long Users, long Changes)?> CountRowAsync(Guid teamId)
    {
        await using var db = await app.DbAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Users\", \"Changes\" FROM \"TeamUserCounts\" WHERE \"TeamId\" = upper($team)";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "$team";
        parameter.Value = teamId.ToString();
        command.Parameters.Add(parameter);
        await using DbDataReader reader = await command.ExecuteReaderAsync(Ct);
        return await reader.ReadAsync(Ct) ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
    }
}

/// <summary>The cursor store on its own: the nearest cursor, forgetting on a change, the bound.</summary>
public sealed class PageCursorsTests
{
    private static readonly Guid Team = Guid.NewGuid();

    [Fact]
    public void Nearest_IsTheDeepestCursorAtOrBeforeThePosition()
    {
        var cursors = new PageCursors();
        cursors.Remember(Team, 3, new PageCursors.Cursor(100, "t100", "a"));
        cursors.Remember(Team, 3, new PageCursors.Cursor(200, "t200", "b"));

        Assert.Null(cursors.Nearest(Team, 3, 99));
        Assert.Equal(100, cursors.Nearest(Team, 3, 100)?.Position);
        Assert.Equal("t100", cursors.Nearest(Team, 3, 150)?.CreatedAt);
        Assert.Equal("b", cursors.Nearest(Team, 3, 5000)?.Id);
        Assert.Null(cursors.Nearest(Guid.NewGuid(), 3, 150));
    }

    [Fact]
    public void AChangeInTheTeam_ForgetsEveryCursor_AndAStaleReadCannotBringOneBack()
    {
        var cursors = new PageCursors();
        cursors.Remember(Team, 3, new PageCursors.Cursor(100, "t100", "a"));

        Assert.Null(cursors.Nearest(Team, 4, 150));
        cursors.Remember(Team, 4, new PageCursors.Cursor(200, "t200", "b"));
        Assert.Null(cursors.Nearest(Team, 4, 150));

        cursors.Remember(Team, 3, new PageCursors.Cursor(100, "t100", "a")); // a page read before the change
        Assert.Null(cursors.Nearest(Team, 4, 150));
        Assert.Null(cursors.Nearest(Team, 3, 150));
    }

    [Fact]
    public void PastTheBound_TheShallowerHalfGoes()
    {
        var cursors = new PageCursors();
        for (var page = 1; page <= 2049; page++)
        {
            cursors.Remember(Team, 1, new PageCursors.Cursor(page * 100, $"t{page}", $"id{page}"));
        }

        Assert.Null(cursors.Nearest(Team, 1, 100));
        Assert.Equal(204_900, cursors.Nearest(Team, 1, 300_000)?.Position);
        Assert.Equal(102_500, cursors.Nearest(Team, 1, 102_550)?.Position);
    }
}
