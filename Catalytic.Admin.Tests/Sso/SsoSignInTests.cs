using System.Net;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Tests.Scim;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>Member and admin sign-in through the real OpenID Connect provider running in the test process.</summary>
public sealed class SsoSignInTests(AppFactory app, TestIdentityProvider idp) : IClassFixture<AppFactory>, IAsyncLifetime
{
    private TestTeam acme = null!;

    // One app (and SQLite file) per class; each test works in a team of its own.
    public async ValueTask InitializeAsync()
    {
        acme = await app.CreateTeamAsync("t" + Guid.NewGuid().ToString("N")[..10]);
        await app.ConnectSsoAsync(acme, idp);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SsoSignIn_ForProvisionedMember_MatchesUserNameCaseInsensitively_AndStartsASession()
    {
        var member = await CreateMemberAsync("Alice");
        using var client = app.CreateBrowserClient();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "ALICE");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Contains(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith("catalytic.session=", StringComparison.Ordinal));
        var home = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains($"data-testid=\"member-username\">{member.UserName}<", await home.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.NotNull((await app.Get<UserDirectory>().FindAsync(acme.Id, member.Id, Ct))!.LastSignInAt);
    }

    [Fact]
    public async Task SsoSignIn_WithNoMatchingAccount_IsSentToNotProvisioned_WithoutASession()
    {
        await CreateMemberAsync("alice");
        using var client = app.CreateBrowserClient();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "mallory");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"/login/not-provisioned?team={acme.Slug}", callback.Headers.Location!.OriginalString);
        AssertNoSessionCookie(callback);
    }

    [Fact]
    public async Task SsoSignIn_MatchesTheConfiguredClaim_NotTheSubject()
    {
        await app.ConnectSsoAsync(acme, idp, uniqueIdClaim: "email");
        var member = await CreateMemberAsync("carol");
        using var client = app.CreateBrowserClient();

        // The subject is "c-123"; only the email claim, which the provider puts in the ID token, names the account.
        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "c-123",
            new Dictionary<string, string> { ["email"] = "carol", ["preferred_username"] = "someone-else" });

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.DoesNotContain("not-provisioned", callback.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains($"data-testid=\"member-username\">{member.UserName}<", await client.GetStringAsync("/", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SsoSignIn_ForDeactivatedAccount_IsRefused()
    {
        var member = await CreateMemberAsync("dave");
        Assert.True((await app.Get<UserDirectory>().SetActiveAsync(acme.Id, member.Id, false, UserSource.Idp, Ct)).Succeeded);
        using var client = app.CreateBrowserClient();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "dave");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"/login?team={acme.Slug}&error=deactivated", callback.Headers.Location!.OriginalString);
        AssertNoSessionCookie(callback);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/", Ct)).StatusCode);
    }

    [Fact]
    public async Task SsoSignIn_OpensAServerSideSession_ThatSignOutEnds()
    {
        var member = await CreateMemberAsync("ivan");
        using var client = app.CreateBrowserClient();

        await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "ivan");

        var sessions = app.Get<UserSessions>();
        var session = Assert.Single(await sessions.ListActiveAsync(acme.Id, member.Id, Ct));
        Assert.Equal(AuthSetup.SsoMethod, session.Method);
        var home = await client.GetStringAsync("/", Ct);
        var signOut = await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(home),
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Empty(await sessions.ListActiveAsync(acme.Id, member.Id, Ct));
    }

    [Fact]
    public async Task Session_AfterTheAccountIsDeactivated_NoLongerWorksOnTheNextRequest()
    {
        var member = await CreateMemberAsync("erin");
        using var client = app.CreateBrowserClient();
        await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "erin");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/", Ct)).StatusCode);

        Assert.True((await app.Get<UserDirectory>().SetActiveAsync(acme.Id, member.Id, false, UserSource.Idp, Ct)).Succeeded);

        var next = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
        Assert.StartsWith("/login", next.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_OfAMemberTheIdpProvisioned_EndsWhenTheIdpDeactivatesThemViaScim()
    {
        using var scim = app.CreateScimClient(acme, await app.EnableScimAsync(acme));
        var id = (await scim.CreateUserAsync("heidi", "heidi@example.test")).Id();
        using var client = app.CreateBrowserClient();
        await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "heidi");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/", Ct)).StatusCode);

        var patched = await scim.PatchJsonAsync($"Users/{id}", ScimHttp.Patch("""{"op":"replace","value":{"active":false}}"""))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.False(patched.Active());

        var next = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
        Assert.StartsWith("/login", next.Headers.Location!.AbsolutePath, StringComparison.Ordinal);

        // Nor can they start a new session.
        var again = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "heidi");
        Assert.Equal($"/login?team={acme.Slug}&error=deactivated", again.Headers.Location!.OriginalString);
        AssertNoSessionCookie(again);
    }

    [Fact]
    public async Task TestSignIn_RecordsTheSignIn_AndKeepsTheAdminsOwnSession()
    {
        using var client = app.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Redirect, (await AppFactory.PostLoginAsync(client, acme.Slug, acme.AdminUserName, AppFactory.AdminPassword)).StatusCode);

        // Nobody named "tester" exists in the team: a test sign-in proves the round trip, it does not sign anyone in.
        var callback = await AppFactory.SsoRoundTripAsync(client, idp, "/admin/sso/test-sign-in", "tester");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("/admin/sso?test=ok", callback.Headers.Location!.OriginalString);
        AssertNoSessionCookie(callback);
        var connection = await app.Get<SsoConnectionService>().GetAsync(acme.Id, Ct);
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime, connection!.LastTestSignInAt);
        Assert.Equal("tester", connection.LastTestSignInSubject);

        var admin = await client.GetAsync("/admin", Ct);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Matches($"data-testid=\"signed-in-as\"[^>]*>{acme.AdminUserName}<", await admin.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task TestSignIn_WithoutTheUniqueIdClaim_ReportsWhichClaimIsMissing()
    {
        using var client = app.CreateBrowserClient();
        await AppFactory.PostLoginAsync(client, acme.Slug, acme.AdminUserName, AppFactory.AdminPassword);

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, "/admin/sso/test-sign-in", "tester",
            new Dictionary<string, string> { ["preferred_username"] = "" });

        Assert.StartsWith("/admin/sso?test=failed&reason=", callback.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains("preferred_username", Uri.UnescapeDataString(callback.Headers.Location.OriginalString), StringComparison.Ordinal);
        Assert.Null((await app.Get<SsoConnectionService>().GetAsync(acme.Id, Ct))!.LastTestSignInAt);
    }

    [Fact]
    public async Task Member_IsRefusedTheAdminPages()
    {
        await CreateMemberAsync("frank");
        using var client = app.CreateBrowserClient();
        await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "frank");

        foreach (var path in new[] { "/admin", "/admin/sso", "/admin/sso/test-sign-in" })
        {
            var response = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/access-denied", response.Headers.Location!.AbsolutePath);
        }

        var notice = await client.GetAsync("/access-denied?ReturnUrl=%2Fadmin", Ct);
        Assert.Equal(HttpStatusCode.OK, notice.StatusCode);
        Assert.Contains("data-testid=\"access-denied\"", await notice.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SavedConnection_TakesEffectOnTheNextSignIn_WithoutARestart()
    {
        using var client = app.CreateBrowserClient();
        var first = await client.GetAsync($"/login/sso/{acme.Slug}", Ct);
        var firstClientId = QueryValue(first.Headers.Location!, "client_id");

        var second = await app.ConnectSsoAsync(acme, idp);
        var next = await client.GetAsync($"/login/sso/{acme.Slug}", Ct);

        Assert.NotEqual(firstClientId, second.ClientId);
        Assert.Equal(second.ClientId, QueryValue(next.Headers.Location!, "client_id"));

        // And the new client completes a sign-in.
        var member = await CreateMemberAsync("grace");
        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "grace");
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Contains($">{member.UserName}<", await client.GetStringAsync("/", Ct), StringComparison.Ordinal);
    }

    private static string? QueryValue(Uri uri, string name) => System.Web.HttpUtility.ParseQueryString(uri.Query)[name];

    private static void AssertNoSessionCookie(HttpResponseMessage response) =>
        Assert.DoesNotContain(
            response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            c => c.StartsWith("catalytic.session=", StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));

    private async Task<User> CreateMemberAsync(string userName)
    {
        var result = await app.Get<UserDirectory>().CreateAsync(acme.Id, new UserProfile { UserName = userName, Email = $"{userName}@example.test" }, UserSource.Idp, Ct);
        Assert.True(result.Succeeded, result.Error?.Detail);
        return result.User!;
    }
}
