using System.Net;
using System.Security.Claims;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>Server-side sessions behind the session cookie: sign-out, revocation, deactivation, team isolation.</summary>
public sealed class UserSessionTests : IAsyncLifetime
{
    private const string CookieName = "catalytic.session";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);
    private readonly AppFactory app = new();
    private TestTeam acme = null!;

    private UserSessions Sessions => app.Get<UserSessions>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => acme = await app.CreateTeamAsync("acme");

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task CopiedCookie_StopsWorkingAfterSignOut()
    {
        var (browser, cookie) = await SignInCapturingCookieAsync(acme.AdminUserName);
        using var copy = ClientWithCookie(cookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/admin", Ct)).StatusCode);

        var page = await browser.GetStringAsync("/admin", Ct);
        var signOut = await browser.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(page),
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        var replay = await copy.GetAsync("/admin", Ct);
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.StartsWith("/login", replay.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
        var admin = await AdminAsync();
        Assert.Empty(await Sessions.ListActiveAsync(acme.Id, admin.Id, Ct));
    }

    [Fact]
    public async Task PasswordSignIn_OpensASessionRow_WithMethodAndBrowser_AndTheCookieCarriesItsId()
    {
        var (_, cookie) = await SignInCapturingCookieAsync(acme.AdminUserName, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");

        var session = Assert.Single(await Sessions.ListActiveAsync(acme.Id, (await AdminAsync()).Id, Ct));
        Assert.Equal(session.Id, SessionIdOf(cookie));
        Assert.Equal(AuthSetup.PasswordMethod, session.Method);
        Assert.Contains("Firefox/128.0", session.UserAgent, StringComparison.Ordinal);
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime, session.CreatedAt);
        Assert.Null(session.RevokedAt);
    }

    [Fact]
    public async Task RevokingOneSession_EndsOnlyThatOne()
    {
        var (first, firstCookie) = await SignInCapturingCookieAsync(acme.AdminUserName);
        var (second, secondCookie) = await SignInCapturingCookieAsync(acme.AdminUserName);
        var admin = await AdminAsync();
        Assert.Equal(2, (await Sessions.ListActiveAsync(acme.Id, admin.Id, Ct)).Count);

        Assert.True(await Sessions.RevokeAsync(acme.Id, SessionIdOf(secondCookie), ct: Ct));

        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/admin", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await second.GetAsync("/admin", Ct)).StatusCode);
        Assert.Equal(SessionIdOf(firstCookie), Assert.Single(await Sessions.ListActiveAsync(acme.Id, admin.Id, Ct)).Id);
        Assert.False(await Sessions.RevokeAsync(acme.Id, SessionIdOf(secondCookie), ct: Ct));
    }

    [Fact]
    public async Task SignOutEverywhere_EndsEverySessionOfTheUser_AndNoOtherUsers()
    {
        await app.Get<UserDirectory>().CreateLocalAdminAsync(acme.Id, "backupadmin", AppFactory.AdminPassword);
        var (first, _) = await SignInCapturingCookieAsync(acme.AdminUserName);
        var (second, _) = await SignInCapturingCookieAsync(acme.AdminUserName);
        var (other, _) = await SignInCapturingCookieAsync("backupadmin");

        Assert.Equal(2, await Sessions.RevokeAllAsync(acme.Id, (await AdminAsync()).Id, Ct));

        Assert.Equal(HttpStatusCode.Redirect, (await first.GetAsync("/admin", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await second.GetAsync("/admin", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/admin", Ct)).StatusCode);
    }

    [Fact]
    public async Task DeactivatingTheUser_RevokesTheirSessions_SoReactivatingDoesNotReviveThem()
    {
        var users = app.Get<UserDirectory>();
        var backup = (await users.CreateLocalAdminAsync(acme.Id, "backupadmin", AppFactory.AdminPassword)).User!;
        var (browser, cookie) = await SignInCapturingCookieAsync("backupadmin");
        var ended = WaitForEnded(backup.Id);

        Assert.True((await users.SetActiveAsync(acme.Id, backup.Id, false, UserSource.Admin, Ct)).Succeeded);
        await ended.WaitAsync(Within, Ct);
        Assert.True((await users.SetActiveAsync(acme.Id, backup.Id, true, UserSource.Admin, Ct)).Succeeded);

        Assert.Empty(await Sessions.ListActiveAsync(acme.Id, backup.Id, Ct));
        await using var db = await app.DbAsync();
        Assert.NotNull((await db.UserSessions.SingleAsync(s => s.UserId == backup.Id, Ct)).RevokedAt);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/admin", Ct)).StatusCode);
        using var copy = ClientWithCookie(cookie);
        Assert.Equal(HttpStatusCode.Redirect, (await copy.GetAsync("/admin", Ct)).StatusCode);
    }

    [Fact]
    public async Task CookieWithoutSessionId_IsRefused()
    {
        // A cookie as the app issued before sessions were kept server-side: valid signature, no session id.
        var admin = await AdminAsync();
        var options = app.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AuthSetup.CookieScheme);
        var ticket = new AuthenticationTicket(AuthSetup.CreatePrincipal(admin, acme.Slug, AuthSetup.PasswordMethod), AuthSetup.CookieScheme);
        using var old = ClientWithCookie(options.TicketDataFormat.Protect(ticket));

        var response = await old.GetAsync("/admin", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CookieWithTheSessionIdOfAnotherUser_IsRefused()
    {
        var backup = (await app.Get<UserDirectory>().CreateLocalAdminAsync(acme.Id, "backupadmin", AppFactory.AdminPassword)).User!;
        var theirs = await Sessions.StartAsync(acme.Id, backup.Id, AuthSetup.PasswordMethod, null, null, Ct);
        var principal = AuthSetup.CreatePrincipal(await AdminAsync(), acme.Slug, AuthSetup.PasswordMethod);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(AuthSetup.SessionIdClaim, theirs.Id.ToString()));
        var options = app.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AuthSetup.CookieScheme);
        using var forged = ClientWithCookie(options.TicketDataFormat.Protect(new AuthenticationTicket(principal, AuthSetup.CookieScheme)));

        Assert.Equal(HttpStatusCode.Redirect, (await forged.GetAsync("/admin", Ct)).StatusCode);
    }

    [Fact]
    public async Task LastSeen_IsWrittenAtMostEveryFewMinutes()
    {
        var (browser, _) = await SignInCapturingCookieAsync(acme.AdminUserName);
        var admin = await AdminAsync();
        var signedInAt = app.Clock.GetUtcNow().UtcDateTime;

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin", Ct)).StatusCode);
        Assert.Equal(signedInAt, Assert.Single(await Sessions.ListActiveAsync(acme.Id, admin.Id, Ct)).LastSeenAt);

        app.Clock.Advance(UserSessions.TouchInterval);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin", Ct)).StatusCode);
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime, Assert.Single(await Sessions.ListActiveAsync(acme.Id, admin.Id, Ct)).LastSeenAt);
    }

    [Fact]
    public async Task ASessionUnusedForItsLifetime_IsNoLongerListedOrAccepted()
    {
        var admin = await AdminAsync();
        var session = await Sessions.StartAsync(acme.Id, admin.Id, AuthSetup.PasswordMethod, null, null, Ct);

        app.Clock.Advance(UserSessions.Lifetime + UserSessions.TouchInterval + TimeSpan.FromSeconds(1));

        Assert.Empty(await Sessions.ListActiveAsync(acme.Id, admin.Id, Ct));
        Assert.False(await Sessions.IsActiveAsync(acme.Id, admin.Id, session.Id, touch: true, Ct));
    }

    [Fact]
    public async Task Sessions_AreIsolatedByTeam()
    {
        var globex = await app.CreateTeamAsync("globex");
        var theirAdmin = (await app.Get<UserDirectory>().FindByUserNameAsync(globex.Id, globex.AdminUserName, Ct))!;
        var theirs = await Sessions.StartAsync(globex.Id, theirAdmin.Id, AuthSetup.PasswordMethod, "192.0.2.7", null, Ct);

        // Acme's admin panel asks with acme's team id and globex's ids: nothing is seen or ended.
        Assert.Empty(await Sessions.ListActiveAsync(acme.Id, theirAdmin.Id, Ct));
        Assert.False(await Sessions.RevokeAsync(acme.Id, theirs.Id, ct: Ct));
        Assert.Equal(0, await Sessions.RevokeAllAsync(acme.Id, theirAdmin.Id, Ct));
        Assert.False(await Sessions.IsActiveAsync(acme.Id, theirAdmin.Id, theirs.Id, touch: false, Ct));

        Assert.True(await Sessions.IsActiveAsync(globex.Id, theirAdmin.Id, theirs.Id, touch: false, Ct));
        Assert.Equal(theirs.Id, Assert.Single(await Sessions.ListActiveAsync(globex.Id, theirAdmin.Id, Ct)).Id);
    }

    [Fact]
    public async Task Prune_RemovesSessionsEndedLongAgo_AndKeepsRecentOnes()
    {
        var admin = await AdminAsync();
        var revokedLongAgo = await Sessions.StartAsync(acme.Id, admin.Id, AuthSetup.PasswordMethod, null, null, Ct);
        var expiredLongAgo = await Sessions.StartAsync(acme.Id, admin.Id, AuthSetup.PasswordMethod, null, null, Ct);
        Assert.True(await Sessions.RevokeAsync(acme.Id, revokedLongAgo.Id, ct: Ct));
        app.Clock.Advance(UserSessions.KeepEnded + UserSessions.Lifetime + TimeSpan.FromHours(1));
        var revokedToday = await Sessions.StartAsync(acme.Id, admin.Id, AuthSetup.PasswordMethod, null, null, Ct);
        Assert.True(await Sessions.RevokeAsync(acme.Id, revokedToday.Id, ct: Ct));
        var open = await Sessions.StartAsync(acme.Id, admin.Id, AuthSetup.PasswordMethod, null, null, Ct);

        Assert.Equal(2, await Sessions.PruneAsync(Ct));

        await using var db = await app.DbAsync();
        var left = await db.UserSessions.Select(s => s.Id).ToListAsync(Ct);
        Assert.Equivalent(new[] { revokedToday.Id, open.Id }, left);
        Assert.DoesNotContain(expiredLongAgo.Id, left);
    }

    private HttpClient Browser() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private HttpClient ClientWithCookie(string value)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Add("Cookie", $"{CookieName}={value}");
        return client;
    }

    /// <summary>Signs in through the form; returns the browser and a copy of its session cookie's value.</summary>
    private async Task<(HttpClient Browser, string Cookie)> SignInCapturingCookieAsync(string userName, string? userAgent = null)
    {
        var browser = Browser();
        if (userAgent is not null)
        {
            browser.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        }

        var response = await AppFactory.PostLoginAsync(browser, acme.Slug, userName, AppFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var header = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal));
        return (browser, header[(CookieName.Length + 1)..header.IndexOf(';', StringComparison.Ordinal)]);
    }

    private Guid SessionIdOf(string cookie) =>
        app.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AuthSetup.CookieScheme).TicketDataFormat.Unprotect(cookie)!.Principal.SessionId()!.Value;

    private Task WaitForEnded(Guid userId)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Sessions.Changed += change =>
        {
            if (change.UserId == userId && change.Ended)
            {
                ended.TrySetResult();
            }
        };
        return ended.Task;
    }

    private async Task<User> AdminAsync() => (await app.Get<UserDirectory>().FindByUserNameAsync(acme.Id, acme.AdminUserName, Ct))!;
}
