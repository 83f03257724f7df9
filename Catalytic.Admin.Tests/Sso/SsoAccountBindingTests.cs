using System.Net;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Tests.Scim;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>
/// Accounts are bound to the IdP's subject (iss + sub) on their first SSO sign-in, and later sign-ins follow the
/// binding, not the user-name claim, so neither SCIM nor the IdP can move a person into someone else's account.
/// Every sign-in goes through the real OpenID Connect provider; the subject is the provider's user name.
/// </summary>
public sealed class SsoAccountBindingTests(AppFactory app, TestIdentityProvider idp) : IClassFixture<AppFactory>, IAsyncLifetime
{
    private TestTeam acme = null!;

    public async ValueTask InitializeAsync()
    {
        acme = await app.CreateTeamAsync("t" + Guid.NewGuid().ToString("N")[..10]);
        await app.ConnectSsoAsync(acme, idp);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private UserDirectory Directory => app.Get<UserDirectory>();

    // The provider signs its tokens with its issuer as it publishes it (with the trailing slash).
    private string TokenIssuer => idp.Issuer + "/";

    [Fact]
    public async Task FirstSignIn_BindsTheAccountToTheIssuerAndSubject()
    {
        var alice = await CreateMemberAsync("alice");

        var (callback, client) = await SignInAsync("00u-alice", "alice");

        AssertSignedInAs(callback, "alice");
        Assert.Contains("data-testid=\"member-username\">alice<", await client.GetStringAsync("/", Ct), StringComparison.Ordinal);
        var row = await RowAsync(alice.Id);
        Assert.Equal(TokenIssuer, row.SsoIssuer);
        Assert.Equal("00u-alice", row.SsoSubject);
        Assert.Equal(alice.Version + 1, row.Version);
    }

    [Fact]
    public async Task LaterSignIn_AfterTheIdpRenamedThePerson_LandsOnTheBoundAccount_NotOnTheNewName()
    {
        var alice = await CreateMemberAsync("alice");
        var bob = await CreateMemberAsync("bob");
        await SignInAsync("00u-alice", "alice");

        // The IdP now calls the person "bob", the user name of another (unbound) account.
        var (callback, client) = await SignInAsync("00u-alice", "bob");

        AssertSignedInAs(callback, "alice");
        Assert.Contains("data-testid=\"member-username\">alice<", await client.GetStringAsync("/", Ct), StringComparison.Ordinal);
        Assert.Equal("00u-alice", (await RowAsync(alice.Id)).SsoSubject);
        Assert.Null((await RowAsync(bob.Id)).SsoSubject);
    }

    [Fact]
    public async Task Takeover_AnotherIdpPersonNamingABoundAccount_IsRefused_EvenAfterScimRenamesTheAccountToTheirName()
    {
        var token = await app.EnableScimAsync(acme);
        using var scim = app.CreateScimClient(acme, token);
        var alice = await CreateMemberAsync("alice");
        await SignInAsync("00u-alice", "alice");
        var before = await RowAsync(alice.Id);

        // Mallory's own IdP login, with her user-name claim set to alice's user name.
        var (named, _) = await SignInAsync("00u-mallory", "alice");

        AssertRefused(named, "account-linked");
        var untouched = await RowAsync(alice.Id);
        Assert.Equal(("00u-alice", before.Version, before.LastSignInAt), (untouched.SsoSubject, untouched.Version, untouched.LastSignInAt));

        // A SCIM token holder renames alice's account to mallory's own claim: still bound to alice.
        await scim.PatchJsonAsync($"Users/{alice.Id}", ScimHttp.Patch("""{"op":"replace","path":"userName","value":"mallory"}"""))
            .ExpectAsync(HttpStatusCode.OK);
        var (renamed, _) = await SignInAsync("00u-mallory", "mallory");

        AssertRefused(renamed, "account-linked");
        Assert.Equal("00u-alice", (await RowAsync(alice.Id)).SsoSubject);
        Assert.Contains("linked to a different sign-in", await ReadRefusalAsync(renamed), StringComparison.Ordinal);

        // Alice herself still gets in, under the new name.
        var (own, ownClient) = await SignInAsync("00u-alice", "alice");
        AssertSignedInAs(own, "alice");
        Assert.Contains("data-testid=\"member-username\">mallory<", await ownClient.GetStringAsync("/", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalAdmin_IsNeverSignedInBySso_NeitherByNameNorByBinding()
    {
        var admin = await Directory.FindByUserNameAsync(acme.Id, acme.AdminUserName, Ct);
        Assert.NotNull(admin?.PasswordHash);

        var (byName, _) = await SignInAsync("00u-eve", acme.AdminUserName);

        Assert.Equal($"/login/not-provisioned?team={acme.Slug}", byName.Headers.Location!.OriginalString);
        AssertNoSession(byName);
        Assert.Null((await RowAsync(admin.Id)).SsoSubject);

        // Even a binding (say, an SSO account later given a password) does not let SSO in.
        await using (var db = await app.DbAsync())
        {
            await db.Users.Where(u => u.Id == admin.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.SsoIssuer, TokenIssuer).SetProperty(u => u.SsoSubject, "00u-eve"), Ct);
        }

        var (byBinding, _) = await SignInAsync("00u-eve", "someone");
        Assert.Equal($"/login/not-provisioned?team={acme.Slug}", byBinding.Headers.Location!.OriginalString);
        AssertNoSession(byBinding);
    }

    [Fact]
    public async Task Bind_OfASubjectAlreadyBoundToAnotherAccount_IsRefusedByTheUniqueIndex()
    {
        await CreateMemberAsync("alice");
        var bob = await CreateMemberAsync("bob");
        await SignInAsync("00u-alice", "alice");

        // What a racing first sign-in meets when the same subject was bound to alice a moment before.
        var raced = await Directory.TryBindSsoSubjectAsync(bob, TokenIssuer, "00u-alice", Ct);

        Assert.Equal(SsoSignInRefusal.SubjectLinkedElsewhere, raced?.Refusal);
        Assert.Null((await RowAsync(bob.Id)).SsoSubject);
        using var client = app.CreateBrowserClient();
        var page = await client.GetStringAsync($"/login/sso-refused?team={acme.Slug}&reason=subject-linked", Ct);
        Assert.Contains("already linked to another account", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WithoutASubject_IsRefused_AndBindsNothing()
    {
        var alice = await CreateMemberAsync("alice");

        var result = await Directory.SignInWithSsoAsync(acme.Id, TokenIssuer, null, "alice", Ct);

        Assert.Equal(SsoSignInRefusal.NoSubject, result.Refusal);
        Assert.Null((await RowAsync(alice.Id)).SsoSubject);
    }

    [Fact]
    public async Task UniqueIdClaim_SentOnlyByTheUserInfoEndpoint_SignsTheMemberIn()
    {
        var carol = await CreateMemberAsync("carol");

        var (callback, client) = await SignInAsync("00u-carol", "", new() { [TestIdentityProvider.UserInfoOnlyPrefix + "preferred_username"] = "carol" });

        AssertSignedInAs(callback, "carol");
        Assert.Contains("data-testid=\"member-username\">carol<", await client.GetStringAsync("/", Ct), StringComparison.Ordinal);
        Assert.Equal("00u-carol", (await RowAsync(carol.Id)).SsoSubject);
    }

    [Fact]
    public async Task UserInfo_WithAnotherSubjectThanTheIdToken_FailsTheSignIn()
    {
        var carol = await CreateMemberAsync("carol");

        var (callback, _) = await SignInAsync("00u-carol", "carol", new() { [TestIdentityProvider.UserInfoOnlyPrefix + "sub"] = "00u-someone-else" });

        Assert.Equal($"/login?team={acme.Slug}&error=sso-failed", callback.Headers.Location!.OriginalString);
        AssertNoSession(callback);
        Assert.Null((await RowAsync(carol.Id)).SsoSubject);
    }

    [Fact]
    public async Task DeactivatedBoundAccount_CannotSignIn()
    {
        var dave = await CreateMemberAsync("dave");
        await SignInAsync("00u-dave", "dave");
        Assert.True((await Directory.SetActiveAsync(acme.Id, dave.Id, false, UserSource.Idp, Ct)).Succeeded);

        var (callback, _) = await SignInAsync("00u-dave", "dave");

        Assert.Equal($"/login?team={acme.Slug}&error=deactivated", callback.Headers.Location!.OriginalString);
        AssertNoSession(callback);
        Assert.Equal("00u-dave", (await RowAsync(dave.Id)).SsoSubject);
    }

    [Theory]
    [InlineData("admın")] // dotless i: upper-cases to "ADMIN"
    [InlineData("ſam")] // long s: upper-cases to "SAM"
    [InlineData("sam@example.com")]
    public async Task UserNameClaim_ThatIsNoValidUserName_NeverNamesAnAccount(string claim)
    {
        var admin = await CreateMemberAsync("admin");
        var sam = await CreateMemberAsync("sam");

        var result = await Directory.SignInWithSsoAsync(acme.Id, TokenIssuer, "00u-lookalike", claim, Ct);

        Assert.Equal(SsoSignInRefusal.NotProvisioned, result.Refusal);
        Assert.Null((await RowAsync(admin.Id)).SsoSubject);
        Assert.Null((await RowAsync(sam.Id)).SsoSubject);
    }

    [Fact]
    public async Task ScimRename_OfAnAdminWhoNeverSignedIn_IsRefused_ButOfABoundAdminWorks()
    {
        var token = await app.EnableScimAsync(acme);
        using var scim = app.CreateScimClient(acme, token);
        var id = (await scim.CreateUserAsync("carol")).Id();
        Assert.True((await Directory.SetAdminAsync(acme.Id, Guid.Parse(id), true, Ct)).Succeeded);
        var rename = ScimHttp.Patch("""{"op":"replace","path":"userName","value":"mallory"}""");

        // Unbound: the next SSO sign-in claiming "mallory" would get carol's admin account.
        var detail = await scim.PatchJsonAsync($"Users/{id}", rename).ExpectErrorAsync(HttpStatusCode.BadRequest, "mutability");
        Assert.Contains("has not signed in with SSO yet", detail, StringComparison.Ordinal);
        Assert.Equal("carol", (await RowAsync(Guid.Parse(id))).UserName);
        await scim.PatchJsonAsync($"Users/{id}", ScimHttp.Patch("""{"op":"replace","path":"displayName","value":"Carol C."}""")).ExpectAsync(HttpStatusCode.OK);

        await SignInAsync("00u-carol", "carol");
        await scim.PatchJsonAsync($"Users/{id}", rename).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("mallory", (await RowAsync(Guid.Parse(id))).UserName);
    }

    [Fact]
    public async Task ScimPatchAndPut_OfABoundAccount_KeepTheBinding()
    {
        var token = await app.EnableScimAsync(acme);
        using var scim = app.CreateScimClient(acme, token);
        var id = (await scim.CreateUserAsync("erin", "erin@example.test")).Id();
        await SignInAsync("00u-erin", "erin");

        await scim.PatchJsonAsync($"Users/{id}", ScimHttp.Patch("""{"op":"replace","value":{"displayName":"Erin E."}}""")).ExpectAsync(HttpStatusCode.OK);
        await scim.PutJsonAsync($"Users/{id}", ScimHttp.UserBody("erin", "erin@example.test")).ExpectAsync(HttpStatusCode.OK);
        Assert.True((await Directory.SetAdminAsync(acme.Id, Guid.Parse(id), true, Ct)).Succeeded);

        var row = await RowAsync(Guid.Parse(id));
        Assert.Equal((TokenIssuer, "00u-erin"), (row.SsoIssuer, row.SsoSubject));
    }

    [Fact]
    public async Task Binding_MadeWhileScimPatchesTheSameAccounts_SurvivesThem_AndEveryPatchIsSaved()
    {
        const int Count = 16;
        var token = await app.EnableScimAsync(acme);
        using var scim = app.CreateScimClient(acme, token);
        var members = new List<User>();
        for (var i = 0; i < Count; i++)
        {
            members.Add(await CreateMemberAsync($"racer{i:D2}"));
        }

        // Each member's callback (which binds) goes out while that member is PATCHed again and again, each PATCH
        // writing every column at the version it read, until the sign-in is done.
        var callbacks = await Task.WhenAll(members.Select(async m =>
        {
            var client = app.CreateBrowserClient();
            return (Client: client, Url: await AtProviderAsync(client, $"sub-{m.UserName}", m.UserName));
        }));
        var runs = await Task.WhenAll(members.Select(async (m, i) =>
        {
            var signIn = callbacks[i].Client.GetAsync(callbacks[i].Url.PathAndQuery, Ct);
            var statuses = new List<HttpStatusCode>();
            do
            {
                var body = ScimHttp.Patch("""{"op":"replace","value":{"displayName":"Patch """ + statuses.Count + "\"}}");
                statuses.Add((await scim.PatchJsonAsync($"Users/{m.Id}", body)).StatusCode);
            }
            while (!signIn.IsCompleted);
            return (SignIn: await signIn, Patches: statuses);
        }));

        for (var i = 0; i < Count; i++)
        {
            var (signIn, patches) = runs[i];
            AssertSignedInAs(signIn, members[i].UserName);
            Assert.All(patches, status => Assert.Equal(HttpStatusCode.OK, status));
            var row = await RowAsync(members[i].Id);
            Assert.Equal($"sub-{members[i].UserName}", row.SsoSubject);
            Assert.Equal($"Patch {patches.Count - 1}", row.DisplayName);
            Assert.Equal(members[i].Version + 1 + patches.Count, row.Version);
            callbacks[i].Client.Dispose();
        }
    }

    [Fact]
    public async Task TestSignIn_BindsNothing()
    {
        var tina = await CreateMemberAsync("tina");
        using var client = await AdminClientAsync();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, "/admin/sso/test-sign-in", "00u-tina", Claims("tina"));

        Assert.Equal("/admin/sso?test=ok", callback.Headers.Location!.OriginalString);
        Assert.Null((await RowAsync(tina.Id)).SsoSubject);
    }

    [Fact]
    public async Task ConnectingAnotherClient_ForgetsEveryBindingOfTheTeam_AndMembersAreBoundAgainOnTheirNextSignIn()
    {
        var other = await app.CreateTeamAsync("o" + Guid.NewGuid().ToString("N")[..10]);
        await app.ConnectSsoAsync(other, idp);
        var theirs = await app.CreateUserAsync(other, "frank", UserSource.Idp);
        var frank = await CreateMemberAsync("frank");
        await SignInAsync("00u-frank", "frank");
        await BindInTeamAsync(other, "00u-frank-other", "frank");

        // Saving the same provider again keeps the bindings.
        var saved = await app.Get<SsoConnectionService>().GetAsync(acme.Id, Ct);
        Assert.Empty(await app.Get<SsoConnectionService>().SaveAsync(acme.Id, new SsoConnectionInput { Issuer = saved!.Issuer, ClientId = saved.ClientId }, Ct));
        Assert.Equal("00u-frank", (await RowAsync(frank.Id)).SsoSubject);

        await app.ConnectSsoAsync(acme, idp);

        var forgotten = await RowAsync(frank.Id);
        Assert.Equal((null, null), (forgotten.SsoIssuer, forgotten.SsoSubject));
        Assert.Equal("00u-frank-other", (await RowAsync(theirs.Id)).SsoSubject);

        // The person at the new provider application has another subject; the user name binds them again.
        var (callback, _) = await SignInAsync("00u-frank-new", "frank");
        AssertSignedInAs(callback, "frank");
        Assert.Equal("00u-frank-new", (await RowAsync(frank.Id)).SsoSubject);
    }

    [Fact]
    public async Task RemovingTheConnection_ForgetsTheBindings()
    {
        var gina = await CreateMemberAsync("gina");
        await SignInAsync("00u-gina", "gina");

        await app.Get<SsoConnectionService>().RemoveAsync(acme.Id, Ct);

        Assert.Null((await RowAsync(gina.Id)).SsoSubject);
    }

    [Fact]
    public void MembersAreRelinked_WhenTheIssuerOrTheClientChanges()
    {
        Assert.True(SsoConnectionService.IsSameClient("https://a.example", "app", " https://a.example/ ", "app"));
        Assert.False(SsoConnectionService.IsSameClient("https://a.example", "app", "https://b.example", "app"));
        Assert.False(SsoConnectionService.IsSameClient("https://a.example", "app", "https://a.example", "app2"));
    }

    [Fact]
    public async Task Unlink_LetsTheRecreatedIdpAccountBindTheAccountAgain()
    {
        var hank = await CreateMemberAsync("hank");
        await SignInAsync("00u-hank-old", "hank");
        var (recreated, _) = await SignInAsync("00u-hank-new", "hank");
        AssertRefused(recreated, "account-linked");

        Assert.Null(await Directory.UnlinkSsoIdentityAsync(acme.Id, hank.Id, Ct));

        var unlinked = await RowAsync(hank.Id);
        Assert.Null(unlinked.SsoSubject);
        var (callback, _) = await SignInAsync("00u-hank-new", "hank");
        AssertSignedInAs(callback, "hank");
        Assert.Equal("00u-hank-new", (await RowAsync(hank.Id)).SsoSubject);
        Assert.Equal(UserErrorKind.NotFound, (await Directory.UnlinkSsoIdentityAsync(acme.Id, Guid.NewGuid(), Ct))?.Kind);
    }

    private static Dictionary<string, string> Claims(string userNameClaim) => new() { ["preferred_username"] = userNameClaim };

    /// <summary>A whole sign-in as the provider's <paramref name="subject"/>, whose user-name claim is <paramref name="userNameClaim"/>.</summary>
    private async Task<(HttpResponseMessage Callback, HttpClient Client)> SignInAsync(string subject, string userNameClaim, Dictionary<string, string>? claims = null)
    {
        var client = app.CreateBrowserClient();
        var all = Claims(userNameClaim);
        foreach (var (name, value) in claims ?? [])
        {
            all[name] = value;
        }

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", subject, all);
        return (callback, client);
    }

    private async Task BindInTeamAsync(TestTeam team, string subject, string userNameClaim)
    {
        using var client = app.CreateBrowserClient();
        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{team.Slug}", subject, Claims(userNameClaim));
        AssertSignedInAs(callback, userNameClaim);
    }

    /// <summary>The challenge and the provider's half of a sign-in; returns the app's callback URL, not yet visited.</summary>
    private async Task<Uri> AtProviderAsync(HttpClient client, string subject, string userNameClaim)
    {
        var challenge = await client.GetAsync($"/login/sso/{acme.Slug}", Ct);
        return await idp.SignInAsync(challenge.Headers.Location!, subject, Claims(userNameClaim), Ct);
    }

    private async Task<HttpClient> AdminClientAsync()
    {
        var client = app.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Redirect, (await AppFactory.PostLoginAsync(client, acme.Slug, acme.AdminUserName, AppFactory.AdminPassword)).StatusCode);
        return client;
    }

    private async Task<User> CreateMemberAsync(string userName) => await app.CreateUserAsync(acme, userName, UserSource.Idp);

    private async Task<User> RowAsync(Guid id)
    {
        await using var db = await app.DbAsync();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Id == id, Ct);
    }

    /// <summary>The page the refused person is sent to.</summary>
    private async Task<string> ReadRefusalAsync(HttpResponseMessage callback)
    {
        using var client = app.CreateBrowserClient();
        return await client.GetStringAsync(callback.Headers.Location!.OriginalString, Ct);
    }

    private void AssertRefused(HttpResponseMessage callback, string reason)
    {
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"/login/sso-refused?team={acme.Slug}&reason={reason}", callback.Headers.Location!.OriginalString);
        AssertNoSession(callback);
    }

    private static void AssertSignedInAs(HttpResponseMessage callback, string userName)
    {
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, $"{userName}: {(int)callback.StatusCode}");
        var location = callback.Headers.Location!.OriginalString;
        Assert.True(!location.StartsWith("/login", StringComparison.Ordinal), $"{userName} was not signed in: {location}");
        Assert.Contains(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith("catalytic.session=", StringComparison.Ordinal));
    }

    private static void AssertNoSession(HttpResponseMessage response) =>
        Assert.DoesNotContain(
            response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            c => c.StartsWith("catalytic.session=", StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));
}
