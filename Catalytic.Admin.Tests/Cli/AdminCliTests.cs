using System.Diagnostics;
using Catalytic.Admin.Cli;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Cli;

/// <summary>The admin CLI through the same services as the pages; one test runs the real executable.</summary>
public sealed class AdminCliTests(TestIdentityProvider idp) : IAsyncLifetime
{
    private readonly AppFactory app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await AdminCli.RunAsync(app.Services, args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Setup_CreatesTeamAndAdmin()
    {
        Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, "a-long-enough-password");
        try
        {
            var (exit, output, _) = await RunAsync("admin", "setup", "--team", "acme", "--team-name", "Acme", "--admin", "erika");
            Assert.Equal(0, exit);
            Assert.Equal("team=acme", output.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, null);
        }

        var team = await app.Get<TeamService>().FindBySlugAsync("acme");
        Assert.NotNull(await app.Get<Catalytic.Admin.Users.UserDirectory>().VerifyPasswordAsync(team!.Id, "erika", "a-long-enough-password"));
    }

    [Fact]
    public async Task Setup_WithBadSlugAndUserName_ExitsNonZeroWithReasons()
    {
        Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, "a-long-enough-password");
        try
        {
            var (exit, output, error) = await RunAsync("admin", "setup", "--team", "Bad Slug", "--team-name", "Acme", "--admin", "erika@example.com");
            Assert.Equal(1, exit);
            Assert.Empty(output);
            Assert.Contains("Team URL name 'bad slug' is not valid", error, StringComparison.Ordinal);
            Assert.Contains("userName 'erika@example.com' is not allowed", error, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, null);
        }
    }

    /// <summary>A team whose local admin is deactivated (a second admin keeps the team) and locked out.</summary>
    private async Task<(TestTeam Team, Catalytic.Admin.Users.User Local)> LockedOutLocalAdminAsync()
    {
        var team = await app.CreateTeamAsync("acme");
        var users = app.Get<Catalytic.Admin.Users.UserDirectory>();
        var other = await app.CreateUserAsync(team, "other", Catalytic.Admin.Users.UserSource.Idp);
        Assert.True((await users.SetAdminAsync(team.Id, other.Id, true)).Succeeded);
        var local = (await users.FindByUserNameAsync(team.Id, team.AdminUserName))!;
        Assert.True((await users.SetActiveAsync(team.Id, local.Id, false, Catalytic.Admin.Users.UserSource.Admin)).Succeeded);
        await using var db = await app.DbAsync();
        db.PasswordLockouts.Add(new Catalytic.Admin.Sso.PasswordLockout
        {
            TeamId = team.Id, NormalizedUserName = local.NormalizedUserName, FailedCount = 10, LastFailedAt = DateTime.UtcNow, LockedUntil = DateTime.UtcNow.AddHours(1),
        });
        await db.SaveChangesAsync();
        return (team, local);
    }

    private async Task<int> LockoutRowsAsync(Guid teamId)
    {
        await using var db = await app.DbAsync();
        return db.PasswordLockouts.Count(l => l.TeamId == teamId);
    }

    [Fact]
    public async Task UserReactivate_ReactivatesAndLiftsTheLockout()
    {
        var (team, local) = await LockedOutLocalAdminAsync();

        var (exit, output, error) = await RunAsync("admin", "user", "reactivate", "--team", "acme", "--user", team.AdminUserName.ToUpperInvariant());

        Assert.True(exit == 0, error);
        Assert.Equal($"user={team.AdminUserName}\nactive=true", output.Trim().ReplaceLineEndings("\n"));
        Assert.True((await app.Get<Catalytic.Admin.Users.UserDirectory>().FindAsync(team.Id, local.Id))!.Active);
        Assert.Equal(0, await LockoutRowsAsync(team.Id));
        Assert.NotNull(await app.Get<Catalytic.Admin.Users.UserDirectory>().VerifyPasswordAsync(team.Id, team.AdminUserName, AppFactory.AdminPassword));
    }

    [Fact]
    public async Task UserResetPassword_SetsTheNewPassword_ReactivatesAndLiftsTheLockout()
    {
        var (team, local) = await LockedOutLocalAdminAsync();
        var users = app.Get<Catalytic.Admin.Users.UserDirectory>();

        Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, "a-brand-new-password");
        (int Exit, string Out, string Err) result;
        try
        {
            result = await RunAsync("admin", "user", "reset-password", "--team", "acme", "--user", team.AdminUserName);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, null);
        }

        Assert.True(result.Exit == 0, result.Err);
        Assert.Contains("password=reset", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("a-brand-new-password", result.Out + result.Err, StringComparison.Ordinal);
        Assert.NotNull(await users.VerifyPasswordAsync(team.Id, team.AdminUserName, "a-brand-new-password"));
        Assert.Null(await users.VerifyPasswordAsync(team.Id, team.AdminUserName, AppFactory.AdminPassword));
        Assert.True((await users.FindAsync(team.Id, local.Id)) is { Active: true, IsLocal: true });
        Assert.Equal(0, await LockoutRowsAsync(team.Id));
    }

    [Theory]
    [InlineData("other", "a-brand-new-password", "'other' is not a local account: it signs in with SSO")]
    [InlineData("nobody", "a-brand-new-password", "No user with the userName 'nobody' in this team.")]
    [InlineData("adminacme", "short", "at least 12 characters")]
    public async Task UserResetPassword_ForAnSsoAccountUnknownNameOrWeakPassword_ExitsNonZeroWithReason(string user, string password, string reason)
    {
        var (team, _) = await LockedOutLocalAdminAsync();
        var other = await app.Get<Catalytic.Admin.Users.UserDirectory>().FindByUserNameAsync(team.Id, "other");

        Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, password);
        (int Exit, string Out, string Err) result;
        try
        {
            result = await RunAsync("admin", "user", "reset-password", "--team", "acme", "--user", user);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AdminCli.AdminPasswordVariable, null);
        }

        Assert.Equal(1, result.Exit);
        Assert.Empty(result.Out);
        Assert.Contains(reason, result.Err, StringComparison.Ordinal);
        Assert.Null((await app.Get<Catalytic.Admin.Users.UserDirectory>().FindByUserNameAsync(team.Id, "other"))!.PasswordHash);
        Assert.Equal(other!.Version, (await app.Get<Catalytic.Admin.Users.UserDirectory>().FindByUserNameAsync(team.Id, "other"))!.Version);
        Assert.Equal(1, await LockoutRowsAsync(team.Id)); // nothing lifted
    }

    [Fact]
    public async Task UserReactivate_UnknownTeamOrUser_ExitsNonZeroWithReason()
    {
        await app.CreateTeamAsync("acme");

        var (exit, _, error) = await RunAsync("admin", "user", "reactivate", "--team", "nope", "--user", "x");
        Assert.Equal(1, exit);
        Assert.Contains("No team with the URL name 'nope'", error, StringComparison.Ordinal);

        (exit, _, error) = await RunAsync("admin", "user", "reactivate", "--team", "acme", "--user", "nobody");
        Assert.Equal(1, exit);
        Assert.Contains("No user with the userName 'nobody'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingRequiredOption_ExitsNonZero()
    {
        var (exit, _, error) = await RunAsync("admin", "scim", "enable");
        Assert.NotEqual(0, exit);
        Assert.Contains("--team", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScimEnable_WithoutSso_FailsWithReason()
    {
        await app.CreateTeamAsync("acme");
        var (exit, output, error) = await RunAsync("admin", "scim", "enable", "--team", "acme");
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains("verified SSO connection", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScimCommands_UnknownTeam_FailWithReason()
    {
        var (exit, _, error) = await RunAsync("admin", "scim", "disable", "--team", "nope");
        Assert.Equal(1, exit);
        Assert.Contains("No team with the URL name 'nope'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SsoSet_WithUnreachableIssuer_FailsAndSavesNothing()
    {
        var team = await app.CreateTeamAsync("acme");
        Environment.SetEnvironmentVariable(AdminCli.ClientSecretVariable, "s3cret");
        try
        {
            var (exit, _, error) = await RunAsync("admin", "sso", "set", "--team", "acme", "--issuer", "http://127.0.0.1:9/", "--client-id", "catalytic");
            Assert.Equal(1, exit);
            Assert.Contains("Could not fetch the discovery document", error, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AdminCli.ClientSecretVariable, null);
        }

        Assert.Null(await app.Get<Catalytic.Admin.Sso.SsoConnectionService>().GetAsync(team.Id));
    }

    [Fact]
    public async Task SsoSet_WithPlainHttpIssuer_IsRefused()
    {
        await app.CreateTeamAsync("acme");
        var (exit, _, error) = await RunAsync("admin", "sso", "set", "--team", "acme", "--issuer", "http://login.example.com", "--client-id", "c");
        Assert.Equal(1, exit);
        Assert.Contains("must use HTTPS", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScimEnable_PrintsUrlAndToken_ThatAuthenticate()
    {
        var team = await app.CreateTeamAsync("acme");
        await app.EnableScimAsync(team);
        await app.Get<ScimTokenService>().DisableAsync(team.Id);

        var (exit, output, _) = await RunAsync("admin", "scim", "enable", "--team", "acme");
        Assert.Equal(0, exit);
        var lines = output.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("url=", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("/scim/v2/acme", lines[0], StringComparison.Ordinal);
        var token = lines[1]["token=".Length..].Trim();

        using var client = app.CreateScimClient(team, token);
        Assert.True((await client.GetAsync("ServiceProviderConfig")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task ScimDisable_StopsTheTokenOnTheNextRequest()
    {
        var team = await app.CreateTeamAsync("acme");
        var token = await app.EnableScimAsync(team);

        var (exit, _, _) = await RunAsync("admin", "scim", "disable", "--team", "acme");
        Assert.Equal(0, exit);
        using var client = app.CreateScimClient(team, token);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await client.GetAsync("ServiceProviderConfig")).StatusCode);
    }

    [Fact]
    public async Task ScimToken_PrintsCurrent_AndRotateWithGraceKeepsOldTokenWorking()
    {
        var team = await app.CreateTeamAsync("acme");
        var first = await app.EnableScimAsync(team);

        var (exit, output, _) = await RunAsync("admin", "scim", "token", "--team", "acme");
        Assert.Equal(0, exit);
        Assert.Equal($"token={first}", output.Trim());

        (exit, output, _) = await RunAsync("admin", "scim", "token", "--team", "acme", "--rotate", "--grace", "1h");
        Assert.Equal(0, exit);
        var second = output.Trim()["token=".Length..];
        Assert.NotEqual(first, second);

        using var oldClient = app.CreateScimClient(team, first);
        Assert.True((await oldClient.GetAsync("ServiceProviderConfig")).IsSuccessStatusCode);
        app.Clock.Advance(TimeSpan.FromHours(1.1));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await oldClient.GetAsync("ServiceProviderConfig")).StatusCode);
        using var newClient = app.CreateScimClient(team, second);
        Assert.True((await newClient.GetAsync("ServiceProviderConfig")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task ScimToken_WithBadGrace_FailsWithReason()
    {
        var team = await app.CreateTeamAsync("acme");
        await app.EnableScimAsync(team);
        var (exit, _, error) = await RunAsync("admin", "scim", "token", "--team", "acme", "--rotate", "--grace", "forever");
        Assert.Equal(1, exit);
        Assert.Contains("--grace 'forever' is not a duration", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("24h", 86400)]
    [InlineData("01:00:00", 3600)]
    public void Durations_Parse(string text, int seconds)
    {
        Assert.True(AdminCli.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1h")]
    [InlineData("1y")]
    [InlineData("365d")]
    public void Durations_Invalid_AreRefused(string text) => Assert.False(AdminCli.TryParseDuration(text, out _));

    /// <summary>The published shape: the app's own executable, its own database file, exit codes and stdout.</summary>
    [Fact]
    public async Task Executable_SetupThenScimEnableWithoutSso_ExitCodesAndOutput()
    {
        var folder = Directory.CreateTempSubdirectory("catalytic-cli-").FullName;
        try
        {
            var db = Path.Combine(folder, "cli.db");
            var (exit, output, _) = await RunExecutableAsync(db, "admin", "setup", "--team", "acme", "--team-name", "Acme", "--admin", "erika");
            Assert.Equal(0, exit);
            Assert.Equal("team=acme", output.Trim());

            (exit, output, var error) = await RunExecutableAsync(db, "admin", "scim", "enable", "--team", "acme");
            Assert.Equal(1, exit);
            Assert.Empty(output.Trim());
            Assert.Contains("verified SSO connection", error, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// An operator's first steps on a new install: the executable's database has no Data Protection key yet when
    /// <c>sso set</c> encrypts the client secret (the web host would have made one at start-up).
    /// </summary>
    [Fact]
    public async Task Executable_SetupThenSsoSetThenScimEnable_OnAFreshDatabase()
    {
        var folder = Directory.CreateTempSubdirectory("catalytic-cli-").FullName;
        try
        {
            var db = Path.Combine(folder, "cli.db");
            Assert.Equal(0, (await RunExecutableAsync(db, "admin", "setup", "--team", "acme", "--team-name", "Acme", "--admin", "erika")).Exit);

            var (exit, _, error) = await RunExecutableAsync(db, "admin", "sso", "set", "--team", "acme", "--issuer", idp.Issuer, "--client-id", "catalytic-cli");
            Assert.True(exit == 0, error);

            (exit, var output, error) = await RunExecutableAsync(db, "admin", "scim", "enable", "--team", "acme");
            Assert.True(exit == 0, error);
            Assert.Contains("token=", output, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(int Exit, string Out, string Err)> RunExecutableAsync(string databasePath, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(databasePath)!,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Catalytic.Admin.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Catalytic__Database__ConnectionString"] = $"Data Source={databasePath}";
        start.Environment[AdminCli.AdminPasswordVariable] = "a-long-enough-password";
        start.Environment[AdminCli.ClientSecretVariable] = "a-client-secret";
        start.Environment[SsoHttp.AllowPrivateNetworkIssuersKey.Replace(":", "__", StringComparison.Ordinal)] = "true"; // the test provider is on 127.0.0.1
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
