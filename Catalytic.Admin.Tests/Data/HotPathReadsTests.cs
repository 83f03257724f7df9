using System.Net;
using Catalytic.Admin.Data;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Catalytic.Admin.Tests.Data;

/// <summary>
/// The SQLite fast path reads raw rows; it must return exactly what EF Core reads for the same row, and see
/// changes made by any other connection (the CLI, another instance) on the very next read.
/// </summary>
public sealed class HotPathReadsTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    public static TheoryData<string> Implementations => ["sqlite", "ef"];

    private IHotPathReads Reads(string implementation) => implementation == "ef"
        ? new EfHotPathReads(app.Get<IDbContextFactory<AdminDbContext>>())
        : app.Get<IHotPathReads>();

    [Fact]
    public void TheAppOnSqlite_UsesThePreparedStatementReads() =>
        Assert.IsType<SqliteHotPathReads>(app.Get<IHotPathReads>());

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task FindUser_ReturnsEveryMappedPropertyAsEfReadsIt(string implementation)
    {
        var full = await app.CreateUserAsync(team, "fullprofile", UserSource.Idp, externalId: "ext-1");
        var sparse = (await app.Get<UserDirectory>().CreateAsync(team.Id, new UserProfile { UserName = "sparse" }, UserSource.Admin)).User!;
        await using (var db = await app.DbAsync())
        {
            // Values a fresh account does not have: a sign-in time, a finished tour, a password hash, an admin flag.
            await db.Users.Where(u => u.Id == full.Id).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.LastSignInAt, new DateTime(2026, 11, 1, 8, 30, 15, 123, DateTimeKind.Utc))
                .SetProperty(u => u.WelcomeTourCompletedAt, new DateTime(2026, 11, 2, 9, 0, 0, DateTimeKind.Utc))
                .SetProperty(u => u.EmailNotifications, EmailNotifications.None)
                .SetProperty(u => u.PasswordHash, "hash")
                .SetProperty(u => u.IsAdmin, true)
                .SetProperty(u => u.Active, false)
                .SetProperty(u => u.Version, 7));
        }

        var reads = Reads(implementation);
        foreach (var user in new[] { full, sparse })
        {
            User expected;
            await using (var db = await app.DbAsync())
            {
                expected = await db.Users.AsNoTracking().SingleAsync(u => u.Id == user.Id);
            }

            AssertSameRow(expected, await reads.FindUserAsync(team.Id, user.Id, TestContext.Current.CancellationToken));
            AssertSameRow(expected, await reads.FindUserByNormalizedNameAsync(team.Id, UserRules.Normalize(user.UserName), TestContext.Current.CancellationToken));
        }
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task FindUser_OnlyInTheGivenTeam(string implementation)
    {
        var other = await app.CreateTeamAsync("other");
        var user = await app.CreateUserAsync(team, "alice");
        var reads = Reads(implementation);
        var ct = TestContext.Current.CancellationToken;

        Assert.Null(await reads.FindUserAsync(other.Id, user.Id, ct));
        Assert.Null(await reads.FindUserByNormalizedNameAsync(other.Id, "ALICE", ct));
        Assert.Null(await reads.FindUserAsync(team.Id, Guid.NewGuid(), ct));
        Assert.Null(await reads.FindUserByNormalizedNameAsync(team.Id, "alice", ct));
        Assert.Equal(user.Id, (await reads.FindUserByNormalizedNameAsync(team.Id, "ALICE", ct))?.Id);
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task FindToken_ReadsTheTokenItsTeamAndWhetherScimIsOn(string implementation)
    {
        var token = await app.EnableScimAsync(team);
        var reads = Reads(implementation);
        var ct = TestContext.Current.CancellationToken;

        var match = await reads.FindTokenAsync(ScimTokenService.Hash(token), ct);
        Assert.NotNull(match);
        Assert.Equal(team.Id, match.TeamId);
        Assert.Equal(team.Slug, match.Slug);
        Assert.Equal(ScimTokenService.Hash(token), match.Hash);
        Assert.True(match.Enabled);
        Assert.Null(match.RevokedAt);
        Assert.Null(match.ExpiresAt);

        await app.Get<ScimTokenService>().DisableAsync(team.Id, ct);
        Assert.False((await reads.FindTokenAsync(ScimTokenService.Hash(token), ct))!.Enabled);
        Assert.Null(await reads.FindTokenAsync(ScimTokenService.Hash(token + "x"), ct));
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task FindProvisioningDefaults_AreWhatEfReads_BeforeAndAfterASave(string implementation)
    {
        var reads = Reads(implementation);
        var ct = TestContext.Current.CancellationToken;
        await using (var db = await app.DbAsync())
        {
            var row = await db.ScimSettings.AsNoTracking().FirstOrDefaultAsync(s => s.TeamId == team.Id, ct);
            Assert.Equal(row is null ? null : ProvisioningDefaults.From(row), await reads.FindProvisioningDefaultsAsync(team.Id, ct));
        }

        var saved = new ProvisioningDefaults(EmailNotifications.None, WeeklyDigest: false, ShowWelcomeTour: false);
        await app.Get<ScimTokenService>().SaveDefaultsAsync(team.Id, saved, ct);
        Assert.Equal(saved, await reads.FindProvisioningDefaultsAsync(team.Id, ct));
    }

    [Fact]
    public async Task ChangesMadeOutsideTheApp_AreSeenByTheVeryNextScimRequest()
    {
        // What the admin CLI or a second instance does: write the database directly, not through this
        // process's services. The bearer check reads the database on every request, so no cache is in the way.
        var token = await app.EnableScimAsync(team);
        using var client = app.CreateScimClient(team, token);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("Users", ct)).StatusCode);

        await using (var db = await app.DbAsync())
        {
            await db.ScimSettings.Where(s => s.TeamId == team.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Enabled, false), ct);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("Users", ct)).StatusCode);

        await using (var db = await app.DbAsync())
        {
            await db.ScimSettings.Where(s => s.TeamId == team.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Enabled, true), ct);
            await db.ScimTokens.Where(t => t.TeamId == team.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, DateTime.UtcNow), ct);
        }

        var revoked = await client.GetAsync("Users", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains("revoked", await revoked.Content.ReadAsStringAsync(ct), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ManyConcurrentReads_EachGetTheirOwnRow()
    {
        var users = await app.CreateUsersAsync(team, 20);
        var reads = app.Get<IHotPathReads>();
        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var user = users[i % users.Count];
            var found = i % 2 == 0
                ? await reads.FindUserAsync(team.Id, user.Id, CancellationToken.None)
                : await reads.FindUserByNormalizedNameAsync(team.Id, user.NormalizedUserName, CancellationToken.None);
            return (user.Id, found?.Id);
        })));
        Assert.All(results, r => Assert.Equal(r.Item1, r.Item2));
    }

    private void AssertSameRow(User expected, User? actual)
    {
        Assert.NotNull(actual);
        using var db = app.Get<IDbContextFactory<AdminDbContext>>().CreateDbContext();
        foreach (var property in db.Model.FindEntityType(typeof(User))!.GetProperties())
        {
            var info = property.PropertyInfo!;
            var want = info.GetValue(expected);
            var got = info.GetValue(actual);
            Assert.True(Equals(want, got), $"{property.Name}: EF read '{want}', the fast path '{got}'.");
            if (want is DateTime wantTime)
            {
                Assert.Equal(wantTime.Kind, ((DateTime)got!).Kind);
            }
        }
    }
}

/// <summary>The per-connection SQLite settings hold on every pooled connection, though they are set only once per native connection.</summary>
public sealed class SqliteConnectionSettingsTests
{
    [Theory]
    [InlineData(null, 2L)] // FULL by default: an acknowledged write survives a power loss
    [InlineData("Full", 2L)]
    [InlineData("Normal", 1L)]
    public async Task EveryOpenedConnection_HasTheBusyTimeoutConfiguredSynchronousWalCapAndNoCheckpointOnCommit(string? setting, long expectedSynchronous)
    {
        await using var app = new AppFactory();
        if (setting is not null)
        {
            app.WithSetting("Catalytic:Database:Synchronous", setting);
        }

        await app.CreateTeamAsync();
        var connections = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 5; i++)
        {
            await using var db = await app.DbAsync();
            await db.Database.OpenConnectionAsync(TestContext.Current.CancellationToken);
            await AssertSettingsAsync(db.Database.GetDbConnection(), expectedSynchronous);
        }

        // The group writer, the fast reads and the checkpointer open theirs through the same settings.
        var sqlite = app.Services.GetRequiredService<SqliteConnectionSettings>();
        await using var outside = sqlite.Open($"Data Source={app.DatabasePath}");
        await AssertSettingsAsync(outside, expectedSynchronous);
    }

    private static async Task AssertSettingsAsync(System.Data.Common.DbConnection connection, long expectedSynchronous)
    {
        Assert.Equal(expectedSynchronous, await ScalarAsync(connection, "PRAGMA synchronous;"));
        Assert.Equal(5000L, await ScalarAsync(connection, "PRAGMA busy_timeout;"));
        Assert.Equal(SqliteConnectionSettings.WalSizeLimitBytes, await ScalarAsync(connection, "PRAGMA journal_size_limit;"));
        Assert.Equal(0L, await ScalarAsync(connection, "PRAGMA wal_autocheckpoint;"));
    }

    private static async Task<object?> ScalarAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }
}

/// <summary>
/// An idle fast-path connection must hold no read transaction: a snapshot kept open would stop every WAL
/// checkpoint at that point, and the WAL file would grow for as long as the app runs.
/// </summary>
public sealed class HotPathReadsCheckpointTests
{
    [Fact]
    public async Task AfterReads_ACheckpointCanCopyAndTruncateTheWholeWal()
    {
        await using var app = new AppFactory();
        var team = await app.CreateTeamAsync();
        var users = await app.CreateUsersAsync(team, 5);
        var reads = app.Get<IHotPathReads>();
        foreach (var user in users)
        {
            Assert.NotNull(await reads.FindUserAsync(team.Id, user.Id, CancellationToken.None));
            Assert.NotNull(await reads.FindUserByNormalizedNameAsync(team.Id, user.NormalizedUserName, CancellationToken.None));
        }

        await app.CreateUserAsync(team, "afterreads");

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={app.DatabasePath}");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var timeout = connection.CreateCommand())
        {
            timeout.CommandText = "PRAGMA busy_timeout = 2000;";
            await timeout.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0L, reader.GetInt64(0)); // not blocked by a reader
        Assert.Equal(0L, reader.GetInt64(1)); // the WAL was emptied
    }
}
