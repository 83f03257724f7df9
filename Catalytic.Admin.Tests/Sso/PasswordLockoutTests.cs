using System.Net;
using System.Text.RegularExpressions;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>The break-glass sign-in's per-account lockout, through the real form and at service level.</summary>
public sealed partial class PasswordLockoutTests : IAsyncLifetime
{
    private const string WrongPassword = "wrong-password-123";
    private readonly AppFactory app = new();
    private TestTeam acme = null!;

    private PasswordLockouts Lockouts => app.Get<PasswordLockouts>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => acme = await app.CreateTeamAsync("acme");

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount_AndEvenTheRightPasswordIsRefused()
    {
        using var browser = Browser();
        var errors = new List<string>();
        for (var i = 0; i < PasswordLockouts.FreeFailures; i++)
        {
            errors.Add(await SignInErrorAsync(browser, acme.AdminUserName, WrongPassword));
        }

        var right = await AppFactory.PostLoginAsync(browser, acme.Slug, acme.AdminUserName, AppFactory.AdminPassword);

        Assert.All(errors[..^1], e => Assert.Contains("user name or password is wrong", e, StringComparison.Ordinal));
        Assert.Contains("temporarily locked", errors[^1], StringComparison.Ordinal);
        Assert.Contains("Try again in 1 minute", errors[^1], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("temporarily locked", ErrorOf(await right.Content.ReadAsStringAsync(Ct)), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/admin", Ct)).StatusCode);
    }

    [Fact]
    public async Task UnknownUserNames_LockAlike_WithTheSameMessage()
    {
        using var browser = Browser();
        string known = "", unknown = "";
        for (var i = 0; i < PasswordLockouts.FreeFailures; i++)
        {
            known = await SignInErrorAsync(browser, acme.AdminUserName, WrongPassword);
            unknown = await SignInErrorAsync(browser, "nosuchadmin", WrongPassword);
        }

        Assert.Contains("temporarily locked", unknown, StringComparison.Ordinal);
        Assert.Equal(known, unknown);
        Assert.NotNull(await Lockouts.LockedUntilAsync(acme.Id, "NoSuchAdmin", Ct));
    }

    [Fact]
    public async Task AfterTheLock_TheRightPasswordSignsIn_AndTheCountStartsAgain()
    {
        using var browser = Browser();
        for (var i = 0; i < PasswordLockouts.FreeFailures; i++)
        {
            await SignInErrorAsync(browser, acme.AdminUserName, WrongPassword);
        }

        app.Clock.Advance(PasswordLockouts.FirstLock);
        Assert.Equal(HttpStatusCode.Redirect, (await AppFactory.PostLoginAsync(browser, acme.Slug, acme.AdminUserName, AppFactory.AdminPassword)).StatusCode);

        // A success cleared the count: four more failures do not lock.
        using var other = Browser();
        for (var i = 0; i < PasswordLockouts.FreeFailures - 1; i++)
        {
            Assert.Contains("user name or password is wrong", await SignInErrorAsync(other, acme.AdminUserName, WrongPassword), StringComparison.Ordinal);
        }

        Assert.Null(await Lockouts.LockedUntilAsync(acme.Id, acme.AdminUserName, Ct));
    }

    [Fact]
    public async Task TheLock_DoublesWithEachFurtherFailure_UpToAnHour()
    {
        var name = acme.AdminUserName;
        for (var i = 1; i < PasswordLockouts.FreeFailures; i++)
        {
            Assert.Null(await Lockouts.RecordFailureAsync(acme.Id, name, Ct));
        }

        var locks = new List<TimeSpan>();
        for (var i = 0; i < 9; i++)
        {
            var now = app.Clock.GetUtcNow().UtcDateTime;
            var until = await Lockouts.RecordFailureAsync(acme.Id, name, Ct);
            Assert.NotNull(until);
            locks.Add(until.Value - now);
            Assert.Equal(until, await Lockouts.LockedUntilAsync(acme.Id, name, Ct));
            app.Clock.Advance(until.Value - now - TimeSpan.FromSeconds(1));
            Assert.NotNull(await Lockouts.LockedUntilAsync(acme.Id, name, Ct));
            app.Clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Null(await Lockouts.LockedUntilAsync(acme.Id, name, Ct));
        }

        Assert.Equal<double>([1, 2, 4, 8, 16, 32, 60, 60, 60], locks.Select(l => l.TotalMinutes));
    }

    [Fact]
    public async Task FailuresForgottenAfterADay_StartTheCountAgain()
    {
        for (var i = 1; i < PasswordLockouts.FreeFailures; i++)
        {
            await Lockouts.RecordFailureAsync(acme.Id, acme.AdminUserName, Ct);
        }

        app.Clock.Advance(PasswordLockouts.ForgetAfter + TimeSpan.FromMinutes(1));

        Assert.Null(await Lockouts.RecordFailureAsync(acme.Id, acme.AdminUserName, Ct));
    }

    [Fact]
    public async Task Clear_LiftsTheLock_ForTheResetCommand()
    {
        for (var i = 0; i < PasswordLockouts.FreeFailures; i++)
        {
            await Lockouts.RecordFailureAsync(acme.Id, acme.AdminUserName, Ct);
        }

        Assert.NotNull(await Lockouts.LockedUntilAsync(acme.Id, acme.AdminUserName, Ct));

        await Lockouts.ClearAsync(acme.Id, acme.AdminUserName.ToUpperInvariant(), Ct);

        Assert.Null(await Lockouts.LockedUntilAsync(acme.Id, acme.AdminUserName, Ct));
        Assert.Equal(HttpStatusCode.Redirect, (await AppFactory.PostLoginAsync(Browser(), acme.Slug, acme.AdminUserName, AppFactory.AdminPassword)).StatusCode);
    }

    [Fact]
    public async Task LocksArePerTeam()
    {
        var globex = await app.CreateTeamAsync("globex");
        for (var i = 0; i < PasswordLockouts.FreeFailures; i++)
        {
            await Lockouts.RecordFailureAsync(acme.Id, "sharedname", Ct);
        }

        Assert.NotNull(await Lockouts.LockedUntilAsync(acme.Id, "sharedname", Ct));
        Assert.Null(await Lockouts.LockedUntilAsync(globex.Id, "sharedname", Ct));
    }

    [Fact]
    public async Task Prune_RemovesTheRowsOfAFloodOfMadeUpNames_OnceForgotten()
    {
        for (var i = 0; i < 20; i++)
        {
            await Lockouts.RecordFailureAsync(acme.Id, "random" + Guid.NewGuid().ToString("N"), Ct);
        }

        app.Clock.Advance(PasswordLockouts.ForgetAfter + TimeSpan.FromMinutes(1));
        await Lockouts.RecordFailureAsync(acme.Id, "recentname", Ct);

        Assert.Equal(20, await Lockouts.PruneAsync(Ct));
        await using var db = await app.DbAsync();
        Assert.Equal("RECENTNAME", Assert.Single(await db.PasswordLockouts.Select(l => l.NormalizedUserName).ToListAsync(Ct)));
    }

    [Fact]
    public async Task ThePerAddressLimit_StillApplies_ToNamesThatAreNotLocked()
    {
        using var browser = Browser();
        var token = AppFactory.AntiforgeryToken(await browser.GetStringAsync($"/login?team={acme.Slug}", Ct));

        // A different name each time: no account lock is reached, only the address limit can refuse. Sent at once,
        // so that the limit's bucket (10, refilled by 1 every 6 s) cannot refill on a slow machine meanwhile.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => browser.PostAsync($"/login?team={acme.Slug}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Team"] = acme.Slug,
            ["Input.UserName"] = "guess" + i,
            ["Input.Password"] = WrongPassword,
        }), Ct)));

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
    }

    private HttpClient Browser() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private async Task<string> SignInErrorAsync(HttpClient browser, string userName, string password)
    {
        var response = await AppFactory.PostLoginAsync(browser, acme.Slug, userName, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ErrorOf(await response.Content.ReadAsStringAsync(Ct));
    }

    private static string ErrorOf(string html)
    {
        var match = LoginError().Match(html);
        Assert.True(match.Success, "The page shows no sign-in error.");
        return match.Groups[1].Value;
    }

    [GeneratedRegex("data-testid=\"login-error\".*?mud-alert-message[^>]*>([^<]+)<", RegexOptions.Singleline)]
    private static partial Regex LoginError();
}
