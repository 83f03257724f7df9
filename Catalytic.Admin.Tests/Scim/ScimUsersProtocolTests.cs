using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Tests.Infrastructure;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>RFC 7643/7644 requirements on /Users: resource shape, bodies, errors, versions, paging, projection, activity.</summary>
public sealed class ScimUsersProtocolTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private readonly HttpClient client = scim.Client();

    // ---- The resource -------------------------------------------------------------------------------

    [Fact]
    public async Task PostUser_ReturnsMetaWithResourceTypeTimesLocationAndVersion_AndMatchingETag()
    {
        var response = await client.PostJsonAsync("Users", UserBody(UniqueName(), $"{UniqueName()}@example.com"));
        var user = await response.ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(UserSchema, user.GetProperty("schemas")[0].GetString());
        var meta = user.GetProperty("meta");
        Assert.Equal("User", meta.GetProperty("resourceType").GetString());
        Assert.True(DateTimeOffset.TryParse(meta.GetProperty("created").GetString(), out _));
        Assert.True(DateTimeOffset.TryParse(meta.GetProperty("lastModified").GetString(), out _));
        Assert.EndsWith($"/Users/{user.Id()}", meta.GetProperty("location").GetString());
        Assert.Equal("W/\"1\"", meta.GetProperty("version").GetString());
        Assert.Equal(meta.GetProperty("version").GetString(), response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task GetUser_ReturnsETagHeaderEqualToMetaVersion()
    {
        var created = await client.CreateUserAsync(UniqueName());

        var response = await client.GetAsync($"Users/{created.Id()}");

        var user = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(user.GetProperty("meta").GetProperty("version").GetString(), response.Headers.ETag?.ToString());
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task GetUser_WithIdThatIsNotAGuid_Returns404()
    {
        await client.GetAsync("Users/not-a-guid").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task PostUser_WithClientSuppliedId_IgnoresIt()
    {
        var clientId = Guid.NewGuid().ToString();
        var body = $$"""{"schemas":["{{UserSchema}}"],"id":"{{clientId}}","userName":"{{UniqueName()}}"}""";

        var user = await client.PostJsonAsync("Users", body).ExpectAsync(HttpStatusCode.Created);

        Assert.NotEqual(clientId, user.Id());
        await client.GetAsync($"Users/{clientId}").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task PostUser_WithAttributeNamesInAnyCase_ReadsThem()
    {
        var userName = UniqueName();
        var body = $$"""{"Schemas":["{{UserSchema}}"],"USERNAME":"{{userName}}","Name":{"GivenName":"Erika","FAMILYNAME":"M"},"Emails":[{"Value":"{{userName}}@example.com","Primary":true}],"DisplayName":"E","ACTIVE":false}""";

        var user = await client.PostJsonAsync("Users", body).ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(userName, user.Str("userName"));
        Assert.Equal("Erika", user.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("M", user.GetProperty("name").GetProperty("familyName").GetString());
        Assert.Equal($"{userName}@example.com", user.Email());
        Assert.Equal("E", user.Str("displayName"));
        Assert.False(user.Active());
    }

    [Fact]
    public async Task PostUser_WithSeveralEmails_KeepsThePrimaryOne()
    {
        var userName = UniqueName();
        var body = $$"""
            {"userName":"{{userName}}","emails":[
              {"value":"home{{userName}}@example.com","type":"home"},
              {"value":"{{userName}}@example.com","type":"work","primary":true},
              {"value":"other{{userName}}@example.com","type":"other"}]}
            """;

        var user = await client.PostJsonAsync("Users", body).ExpectAsync(HttpStatusCode.Created);

        var email = Assert.Single(user.GetProperty("emails").EnumerateArray());
        Assert.Equal($"{userName}@example.com", email.GetProperty("value").GetString());
        Assert.True(email.GetProperty("primary").GetBoolean());
    }

    [Fact]
    public async Task PostUser_WithUnknownAndUnstoredAttributes_Returns201AndDropsThem()
    {
        var body = $$"""
            {"schemas":["{{UserSchema}}","urn:example:custom:2.0:User"],"userName":"{{UniqueName()}}",
             "nickName":"E","title":"CTO","userType":"Employee","timezone":"Europe/Berlin","x509Certificates":[{"value":"abc"}],
             "ims":[{"value":"e","type":"skype"}],"photos":[{"value":"https://example.com/p.png"}],"entitlements":[],
             "urn:example:custom:2.0:User":{"shoeSize":42},"totallyUnknown":{"nested":[1,2,{"x":null}]} }
            """;

        var user = await client.PostJsonAsync("Users", body).ExpectAsync(HttpStatusCode.Created);

        var names = user.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Subset(new HashSet<string> { "schemas", "id", "userName", "active", "meta" }, names);
    }

    [Fact]
    public async Task PostUser_WithoutEmailOrName_OmitsUnassignedAttributes()
    {
        var user = await client.PostJsonAsync("Users", $$"""{"userName":"{{UniqueName()}}"}""").ExpectAsync(HttpStatusCode.Created);

        Assert.False(user.TryGetProperty("emails", out _));
        Assert.False(user.TryGetProperty("name", out _));
        Assert.False(user.TryGetProperty("externalId", out _));
        Assert.True(user.Active());
    }

    // ---- Product rules through SCIM -------------------------------------------------------------------

    [Fact]
    public async Task PostUser_WithEmailAsUserName_Returns400InvalidValue()
    {
        var detail = await client.PostJsonAsync("Users", UserBody("erika@example.com")).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");

        Assert.Contains("erika@example.com", detail, StringComparison.Ordinal);
        Assert.Contains("mail nickname", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("erika.mustermann")]
    [InlineData("erika-m")]
    [InlineData("erika_m")]
    [InlineData("erika m")]
    [InlineData("érika")]
    public async Task PostUser_WithNonAlphanumericUserName_Returns400InvalidValue(string userName)
    {
        await client.PostJsonAsync("Users", UserBody(userName)).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_WithTooLongUserName_Returns400InvalidValue()
    {
        await client.PostJsonAsync("Users", UserBody(new string('a', 65))).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_WithoutUserName_Returns400InvalidValue()
    {
        var detail = await client.PostJsonAsync("Users", """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"Nobody"}""")
            .ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");

        Assert.Contains("userName", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostUser_WithInvalidEmail_Returns400InvalidValue()
    {
        await client.PostJsonAsync("Users", UserBody(UniqueName(), "not-an-email")).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_WithUserNameAsObject_Returns400InvalidValue()
    {
        await client.PostJsonAsync("Users", """{"userName":{"value":"erika"}}""").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_WithActiveThatIsNotABoolean_Returns400InvalidValue()
    {
        await client.PostJsonAsync("Users", $$"""{"userName":"{{UniqueName()}}","active":"maybe"}""").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_WithEmailsAsString_Returns400InvalidValue()
    {
        await client.PostJsonAsync("Users", $$"""{"userName":"{{UniqueName()}}","emails":"a@b.c"}""").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_WithNameAsString_Returns400InvalidValue()
    {
        await client.PostJsonAsync("Users", $$"""{"userName":"{{UniqueName()}}","name":"Erika"}""").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PostUser_SameUserNameAsAnotherTeamsUser_IsAllowed()
    {
        var (_, other) = await scim.NewTeamAsync();
        var userName = UniqueName();
        var email = $"{userName}@example.com";
        var theirs = await other.CreateUserAsync(userName, email);

        var ours = await client.CreateUserAsync(userName, email);

        Assert.NotEqual(theirs.Id(), ours.Id());
    }

    // ---- Bodies and protocol hygiene ------------------------------------------------------------------

    [Fact]
    public async Task PostUser_WithMalformedJson_Returns400InvalidSyntax()
    {
        await client.PostJsonAsync("Users", """{"userName": "erika",""").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PostUser_WithEmptyBody_Returns400InvalidSyntax()
    {
        await client.PostJsonAsync("Users", "").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PostUser_WithJsonArrayBody_Returns400InvalidSyntax()
    {
        await client.PostJsonAsync("Users", """[{"userName":"erika"}]""").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PostUser_WithFormContentType_IsStillParsedAsJson()
    {
        await client.PostJsonAsync("Users", UserBody(UniqueName()), "text/plain").ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task PostUser_WithUtf8ByteOrderMark_IsAccepted()
    {
        var content = new ByteArrayContent([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(UserBody(UniqueName()))]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");

        var response = await client.PostAsync("Users", content, TestContext.Current.CancellationToken);

        await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task PostUser_WithInvalidUtf8_Returns400InvalidSyntax()
    {
        byte[] body = [.. "{\"userName\":\"ab"u8, 0xFF, 0xFE, .. "\",\"t\u00e9\":1,\""u8, 0xC3, .. "\":2}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");

        var response = await client.PostAsync("Users", content, TestContext.Current.CancellationToken);

        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PatchUser_WithInvalidUtf8InAValue_Returns400InvalidSyntax()
    {
        var user = await client.CreateUserAsync(UniqueName());
        byte[] body = [.. """{"Operations":[{"op":"replace","path":"displayName","value":"a"""u8, 0xED, 0xA0, 0x80, .. "\"}]}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");

        var response = await client.PatchAsync($"Users/{user.Id()}", content, TestContext.Current.CancellationToken);

        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PostUser_WithDeeplyNestedJson_Returns400InvalidSyntax()
    {
        var body = $$"""{"userName":"{{UniqueName()}}","x":{{new string('[', 200)}}{{new string(']', 200)}}}""";

        await client.PostJsonAsync("Users", body).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PostUser_WithBodyOverTheLimit_Returns413ScimError()
    {
        var body = $$"""{"userName":"{{UniqueName()}}","title":"{{new string('x', 1024 * 1024 + 10)}}"}""";

        await client.PostJsonAsync("Users", body).ExpectErrorAsync(HttpStatusCode.RequestEntityTooLarge, null);
    }

    [Fact]
    public async Task PostUser_WithChunkedBodyOverTheLimit_Returns413ScimError()
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"userName":"{{UniqueName()}}","title":"{{new string('x', 1024 * 1024 + 10)}}"}""");
        var content = new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");
        Assert.Null(content.Headers.ContentLength);

        var response = await client.PostAsync("Users", content, TestContext.Current.CancellationToken);

        await response.ExpectErrorAsync(HttpStatusCode.RequestEntityTooLarge, null);
    }

    [Fact]
    public async Task PostUser_WithChunkedBodyUnderTheLimit_IsAccepted()
    {
        var content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(UserBody(UniqueName()))));

        var response = await client.PostAsync("Users", content, TestContext.Current.CancellationToken);

        await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task PatchUser_WithBodyOverTheLimit_Returns413ScimError()
    {
        var user = await client.CreateUserAsync(UniqueName());
        var body = Patch($$"""{"op":"add","path":"title","value":"{{new string('x', 1024 * 1024 + 10)}}"}""");

        await client.PatchJsonAsync($"Users/{user.Id()}", body).ExpectErrorAsync(HttpStatusCode.RequestEntityTooLarge, null);
    }

    [Theory]
    [InlineData("Groups")]
    [InlineData("Bulk")]
    [InlineData("Me")]
    [InlineData("Userz")]
    [InlineData("Users/00000000-0000-0000-0000-000000000000/extra")]
    [InlineData("")]
    public async Task UnknownPath_UnderTheTeam_Returns404ScimErrorNotHtml(string path)
    {
        await client.GetAsync(path).ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task UnknownPath_WithoutToken_Returns401ScimError()
    {
        using var anonymous = scim.App.CreateScimClient(scim.Team, "");
        anonymous.DefaultRequestHeaders.Authorization = null;

        await anonymous.GetAsync("Groups").ExpectErrorAsync(HttpStatusCode.Unauthorized, null);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task UsersCollection_WithWrongMethod_Returns405WithAllowHeader(string method)
    {
        var response = await client.SendJsonAsync(new HttpMethod(method), "Users", "{}");

        await response.ExpectErrorAsync(HttpStatusCode.MethodNotAllowed, null);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task PostToUserResource_Returns405()
    {
        var user = await client.CreateUserAsync(UniqueName());

        await client.PostJsonAsync($"Users/{user.Id()}", UserBody(UniqueName())).ExpectErrorAsync(HttpStatusCode.MethodNotAllowed, null);
    }

    // ---- PUT ------------------------------------------------------------------------------------------

    [Fact]
    public async Task PutUser_OmittingAttributes_ClearsThemButKeepsActive()
    {
        var userName = UniqueName();
        var created = await client.PostJsonAsync("Users", $$"""{"userName":"{{userName}}","displayName":"E","externalId":"x1","active":false,"name":{"givenName":"E"} }""")
            .ExpectAsync(HttpStatusCode.Created);

        var replaced = await client.PutJsonAsync($"Users/{created.Id()}", $$"""{"userName":"{{userName}}"}""").ExpectAsync(HttpStatusCode.OK);

        Assert.False(replaced.TryGetProperty("displayName", out _));
        Assert.False(replaced.TryGetProperty("externalId", out _));
        Assert.False(replaced.TryGetProperty("name", out _));
        Assert.False(replaced.Active());
    }

    [Fact]
    public async Task PutUser_WithUnknownId_Returns404()
    {
        await client.PutJsonAsync($"Users/{Guid.NewGuid()}", UserBody(UniqueName())).ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task PutUser_ToAUserNameTakenByAnotherUser_Returns409Uniqueness()
    {
        var taken = UniqueName();
        await client.CreateUserAsync(taken);
        var user = await client.CreateUserAsync(UniqueName());

        await client.PutJsonAsync($"Users/{user.Id()}", UserBody(taken.ToLowerInvariant())).ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
    }

    [Fact]
    public async Task PutUser_WithInvalidUserName_Returns400InvalidValue()
    {
        var user = await client.CreateUserAsync(UniqueName());

        await client.PutJsonAsync($"Users/{user.Id()}", UserBody("erika@example.com")).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task PutUser_WithMalformedJson_Returns400InvalidSyntax()
    {
        var user = await client.CreateUserAsync(UniqueName());

        await client.PutJsonAsync($"Users/{user.Id()}", "{").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidSyntax");
    }

    [Fact]
    public async Task PutUser_WithADifferentIdInTheBody_ChangesTheUserInTheUrl()
    {
        var user = await client.CreateUserAsync(UniqueName());
        var userName = UniqueName();
        var body = $$"""{"id":"{{Guid.NewGuid()}}","userName":"{{userName}}"}""";

        var replaced = await client.PutJsonAsync($"Users/{user.Id()}", body).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(user.Id(), replaced.Id());
        Assert.Equal(userName, replaced.Str("userName"));
    }

    // ---- Versions -------------------------------------------------------------------------------------

    [Fact]
    public async Task PatchUser_IncrementsVersion()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await client.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","path":"displayName","value":"X"}"""));

        Assert.Equal("W/\"2\"", (await response.ExpectAsync(HttpStatusCode.OK)).GetProperty("meta").GetProperty("version").GetString());
        Assert.Equal("W/\"2\"", response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task PatchUser_WithCurrentIfMatch_Succeeds()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await SendWithIfMatchAsync(HttpMethod.Patch, user.Id(), "W/\"1\"", Patch("""{"op":"replace","path":"displayName","value":"X"}"""));

        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PatchUser_WithStaleIfMatch_Returns412()
    {
        var user = await client.CreateUserAsync(UniqueName());
        await client.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","path":"displayName","value":"X"}""")).ExpectAsync(HttpStatusCode.OK);

        var response = await SendWithIfMatchAsync(HttpMethod.Patch, user.Id(), "W/\"1\"", Patch("""{"op":"replace","path":"displayName","value":"Y"}"""));

        await response.ExpectErrorAsync(HttpStatusCode.PreconditionFailed, null);
        Assert.Equal("X", (await client.GetAsync($"Users/{user.Id()}").ExpectAsync(HttpStatusCode.OK)).Str("displayName"));
    }

    [Fact]
    public async Task PutUser_WithStaleIfMatch_Returns412()
    {
        var userName = UniqueName();
        var user = await client.CreateUserAsync(userName);

        var response = await SendWithIfMatchAsync(HttpMethod.Put, user.Id(), "W/\"7\"", UserBody(userName));

        await response.ExpectErrorAsync(HttpStatusCode.PreconditionFailed, null);
    }

    [Fact]
    public async Task DeleteUser_WithStaleIfMatch_Returns412AndKeepsTheUser()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await SendWithIfMatchAsync(HttpMethod.Delete, user.Id(), "W/\"2\"", null);

        await response.ExpectErrorAsync(HttpStatusCode.PreconditionFailed, null);
        await client.GetAsync($"Users/{user.Id()}").ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DeleteUser_WithCurrentIfMatch_Returns204()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await SendWithIfMatchAsync(HttpMethod.Delete, user.Id(), "\"1\"", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task PatchUser_WithIfMatchStar_Succeeds()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await SendWithIfMatchAsync(HttpMethod.Patch, user.Id(), "*", Patch("""{"op":"replace","path":"displayName","value":"X"}"""));

        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PatchUser_WithUnreadableIfMatch_Returns412()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await SendWithIfMatchAsync(HttpMethod.Patch, user.Id(), "\"banana\"", Patch("""{"op":"replace","path":"displayName","value":"X"}"""));

        await response.ExpectErrorAsync(HttpStatusCode.PreconditionFailed, null);
    }

    // ---- Lifecycle ------------------------------------------------------------------------------------

    [Fact]
    public async Task DeactivatedUser_StaysInTheListAndCanBeFilteredByActive()
    {
        var (_, own) = await scim.NewTeamAsync();
        var user = await own.CreateUserAsync(UniqueName());
        await own.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","path":"active","value":false}""")).ExpectAsync(HttpStatusCode.OK);

        var all = await own.GetAsync("Users").ExpectAsync(HttpStatusCode.OK);
        var inactive = await own.FilterAsync("active eq false");

        Assert.Contains(all.Resources(), r => r.Id() == user.Id());
        Assert.Equal(user.Id(), Assert.Single(inactive.Resources()).Id());
    }

    [Fact]
    public async Task DeactivatingAUser_EndsTheirSignInSession()
    {
        var userName = UniqueName();
        var created = await client.CreateUserAsync(userName);
        var users = scim.App.Get<Catalytic.Admin.Users.UserDirectory>();
        var sessions = scim.App.Get<Catalytic.Admin.Sso.UserSessions>();
        var principal = Catalytic.Admin.Sso.AuthSetup.CreatePrincipal((await users.FindAsync(scim.Team.Id, Guid.Parse(created.Id())))!, scim.Team.Slug, "sso");
        var session = await sessions.StartAsync(scim.Team.Id, Guid.Parse(created.Id()), "sso", null, null, TestContext.Current.CancellationToken);
        ((System.Security.Claims.ClaimsIdentity)principal.Identity!).AddClaim(new System.Security.Claims.Claim(Catalytic.Admin.Sso.AuthSetup.SessionIdClaim, session.Id.ToString()));
        Assert.True(await Catalytic.Admin.Sso.AuthSetup.IsSessionStillValidAsync(principal, users, sessions, touch: false, TestContext.Current.CancellationToken));

        await client.PatchJsonAsync($"Users/{created.Id()}", Patch("""{"op":"replace","value":{"active":false}}""")).ExpectAsync(HttpStatusCode.OK);

        Assert.False(await Catalytic.Admin.Sso.AuthSetup.IsSessionStillValidAsync(principal, users, sessions, touch: false, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DeleteUser_TheTeamsLastActiveAdmin_Returns400MutabilityAndKeepsTheAccount()
    {
        var (team, own) = await scim.NewTeamAsync();
        var admin = await LastActiveAdminFromTheIdpAsync(team, own);

        var detail = await own.DeleteAsync($"Users/{admin}").ExpectErrorAsync(HttpStatusCode.BadRequest, "mutability");

        Assert.Contains("last active admin", detail, StringComparison.Ordinal);
        Assert.Contains("Make another user of the team an admin first", detail, StringComparison.Ordinal);
        await own.GetAsync($"Users/{admin}").ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    public async Task DeactivatingTheTeamsLastActiveAdmin_Returns400MutabilityAndKeepsItActive(string method)
    {
        var (team, own) = await scim.NewTeamAsync();
        var admin = await LastActiveAdminFromTheIdpAsync(team, own);
        var userName = (await own.GetAsync($"Users/{admin}").ExpectAsync(HttpStatusCode.OK)).Str("userName")!;

        var response = method == "PATCH"
            ? await own.PatchJsonAsync($"Users/{admin}", Patch("""{"op":"replace","value":{"active":false}}"""))
            : await own.PutJsonAsync($"Users/{admin}", UserBody(userName, active: false));
        var detail = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "mutability");

        Assert.Contains($"'{userName}' is the last active admin of this team and cannot be deactivated", detail, StringComparison.Ordinal);
        Assert.True((await own.GetAsync($"Users/{admin}").ExpectAsync(HttpStatusCode.OK)).Active());
    }

    /// <summary>An IdP-provisioned user made the team's only active admin (the local admin deactivated); its id.</summary>
    private async Task<string> LastActiveAdminFromTheIdpAsync(TestTeam team, HttpClient own)
    {
        var created = Guid.Parse((await own.CreateUserAsync(UniqueName())).Id());
        var users = scim.App.Get<Catalytic.Admin.Users.UserDirectory>();
        Assert.True((await users.SetAdminAsync(team.Id, created, true)).Succeeded);
        var local = await users.FindByUserNameAsync(team.Id, team.AdminUserName);
        Assert.True((await users.SetActiveAsync(team.Id, local!.Id, false, Catalytic.Admin.Users.UserSource.Admin)).Succeeded);
        return created.ToString();
    }

    // ---- Paging, sorting, projection ------------------------------------------------------------------

    [Fact]
    public async Task ListUsers_PagedWithStartIndexAndCount_ReturnsEveryUserOnceInStableOrder()
    {
        var (_, own) = await scim.NewTeamAsync();
        for (var i = 0; i < 7; i++)
        {
            await own.CreateUserAsync(UniqueName());
        }

        var everyone = (await own.GetAsync("Users").ExpectAsync(HttpStatusCode.OK)).Resources().Select(r => r.Id()).ToList();
        var paged = new List<string>();
        for (var start = 1; start <= everyone.Count; start += 3)
        {
            var page = await own.GetAsync($"Users?startIndex={start}&count=3").ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(everyone.Count, page.Total());
            Assert.Equal(start, page.GetProperty("startIndex").GetInt32());
            Assert.Equal(page.Resources().Length, page.GetProperty("itemsPerPage").GetInt32());
            paged.AddRange(page.Resources().Select(r => r.Id()));
        }

        Assert.Equal(7, everyone.Count); // the seven; the team's first admin is a local account, outside SCIM
        Assert.Equal(everyone, paged);
        Assert.Equal(everyone, (await own.GetAsync("Users").ExpectAsync(HttpStatusCode.OK)).Resources().Select(r => r.Id()));
    }

    [Fact]
    public async Task ListUsers_WithCountZero_ReturnsOnlyTotalResults()
    {
        var (_, own) = await scim.NewTeamAsync();
        await own.CreateUserAsync(UniqueName());

        var body = await own.GetAsync("Users?count=0").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(1, body.Total()); // the local admin is not counted
        Assert.Equal(0, body.GetProperty("itemsPerPage").GetInt32());
        Assert.Empty(body.Resources());
    }

    [Fact]
    public async Task ListUsers_WithStartIndexBelowOne_TreatsItAsOne()
    {
        var (_, own) = await scim.NewTeamAsync();
        await own.CreateUserAsync(UniqueName());

        var body = await own.GetAsync("Users?startIndex=-5").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(1, body.GetProperty("startIndex").GetInt32());
        Assert.Single(body.Resources());
    }

    [Fact]
    public async Task ListUsers_WithNegativeCount_TreatsItAsZero()
    {
        var (_, own) = await scim.NewTeamAsync();
        await own.CreateUserAsync(UniqueName());

        var body = await own.GetAsync("Users?count=-1").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(1, body.Total());
        Assert.Empty(body.Resources());
    }

    [Fact]
    public async Task ListUsers_WithStartIndexBeyondTheEnd_ReturnsEmptyPageAndTheTotal()
    {
        var (_, own) = await scim.NewTeamAsync();
        await own.CreateUserAsync(UniqueName());

        var body = await own.GetAsync("Users?startIndex=50&count=10").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(1, body.Total());
        Assert.Empty(body.Resources());
    }

    [Fact]
    public async Task ListUsers_WithHugeStartIndexAndCount_Returns200()
    {
        var body = await client.GetAsync("Users?startIndex=99999999999999&count=99999999999999").ExpectAsync(HttpStatusCode.OK);

        Assert.Empty(body.Resources());
    }

    [Theory]
    [InlineData("startIndex=abc")]
    [InlineData("count=ten")]
    [InlineData("count=1.5")]
    public async Task ListUsers_WithNonNumericPaging_Returns400InvalidValue(string query)
    {
        await client.GetAsync($"Users?{query}").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task ListUsers_SortByUserNameDescending_SortsIgnoringCase()
    {
        var (_, own) = await scim.NewTeamAsync();
        foreach (var name in new[] { "bravo", "Alpha", "charlie" })
        {
            await own.CreateUserAsync(name);
        }

        var body = await own.GetAsync("Users?sortBy=userName&sortOrder=descending").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("charlie,bravo,Alpha", string.Join(',', body.Resources().Select(r => r.Str("userName")!).Where(n => !n.StartsWith("admin", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task ListUsers_WithInvalidSortOrder_Returns400InvalidValue()
    {
        await client.GetAsync("Users?sortBy=userName&sortOrder=sideways").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
    }

    [Fact]
    public async Task ListUsers_SortByUnknownAttribute_UsesCreationOrder()
    {
        var (_, own) = await scim.NewTeamAsync();
        scim.App.Clock.Advance(TimeSpan.FromSeconds(1));
        await own.CreateUserAsync("zulu");
        scim.App.Clock.Advance(TimeSpan.FromSeconds(1));
        await own.CreateUserAsync("alpha");

        var body = await own.GetAsync("Users?sortBy=title").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("zulu,alpha", string.Join(',', body.Resources().Select(r => r.Str("userName"))));
    }

    [Fact]
    public async Task GetUser_WithAttributesUserName_ReturnsOnlyThatAndTheAlwaysReturnedOnes()
    {
        var user = await client.CreateUserAsync(UniqueName(), $"{UniqueName()}@example.com");

        var body = await client.GetAsync($"Users/{user.Id()}?attributes=userName").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("schemas,id,userName,meta", string.Join(',', body.EnumerateObject().Select(p => p.Name)));
        Assert.Equal("resourceType", string.Join(',', body.GetProperty("meta").EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task GetUser_WithUrnPrefixedSubAttribute_ReturnsOnlyThatSubAttribute()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var body = await client.GetAsync($"Users/{user.Id()}?attributes=urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("givenName", string.Join(',', body.GetProperty("name").EnumerateObject().Select(p => p.Name)));
        Assert.False(body.TryGetProperty("userName", out _));
    }

    [Fact]
    public async Task GetUser_WithExcludedAttributes_LeavesThemOutButNeverIdOrSchemas()
    {
        var user = await client.CreateUserAsync(UniqueName(), $"{UniqueName()}@example.com");

        var body = await client.GetAsync($"Users/{user.Id()}?excludedAttributes=emails,NAME,id,schemas,meta").ExpectAsync(HttpStatusCode.OK);

        Assert.False(body.TryGetProperty("emails", out _));
        Assert.False(body.TryGetProperty("name", out _));
        Assert.True(body.TryGetProperty("id", out _));
        Assert.True(body.TryGetProperty("schemas", out _));
        Assert.True(body.TryGetProperty("userName", out _));
        Assert.Equal("User", body.GetProperty("meta").GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task ListUsers_WithAttributes_AppliesToEveryResource()
    {
        var userName = UniqueName();
        await client.CreateUserAsync(userName);

        var body = await client.FilterAsync($"userName eq \"{userName}\"", "&attributes=userName,active");

        Assert.Equal("schemas,id,userName,active,meta", string.Join(',', Assert.Single(body.Resources()).EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task PostUser_WithAttributesParameter_ProjectsTheCreatedResource()
    {
        var response = await client.PostJsonAsync("Users?attributes=userName", UserBody(UniqueName()));

        var body = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.False(body.TryGetProperty("name", out _));
        Assert.NotNull(response.Headers.Location);
    }

    // ---- Activity ---------------------------------------------------------------------------------------

    [Fact]
    public async Task ScimRequests_AreRecordedForTheTeamWithOperationUserAndErrorButNeverTheToken()
    {
        var (team, own) = await scim.NewTeamAsync();
        var userName = UniqueName();
        var user = await own.CreateUserAsync(userName);
        await own.PostJsonAsync("Users", UserBody(userName)).ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        await own.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","value":{"active":false}}""")).ExpectAsync(HttpStatusCode.OK);
        await own.FilterAsync($"userName eq \"{userName}\"");

        var log = scim.App.Get<ProvisioningLog>();
        await log.FlushAsync(TestContext.Current.CancellationToken);
        var events = await log.ListAsync(team.Id, new ActivityQuery(), TestContext.Current.CancellationToken);

        var created = Assert.Single(events, e => e.Operation == "create" && e.Status == 201);
        Assert.Equal(Guid.Parse(user.Id()), created.UserId);
        Assert.Equal(userName, created.UserName);
        var refused = Assert.Single(events, e => e.Operation == "create" && e.Status == 409);
        Assert.Equal("uniqueness", refused.ErrorType);
        Assert.Contains(userName, refused.Detail, StringComparison.Ordinal);
        Assert.Single(events, e => e.Operation == "deactivate" && e.UserId == Guid.Parse(user.Id()));
        Assert.Single(events, e => e.Operation == "lookup" && e.UserName == userName);
        var token = own.DefaultRequestHeaders.Authorization!.Parameter!;
        Assert.DoesNotContain(events, e => e.Path.Contains(token, StringComparison.Ordinal) || (e.Detail ?? "").Contains(token, StringComparison.Ordinal));
    }

    private async Task<HttpResponseMessage> SendWithIfMatchAsync(HttpMethod method, string id, string ifMatch, string? json)
    {
        var request = new HttpRequestMessage(method, $"Users/{id}");
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/scim+json");
        }

        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A body whose length is not known up front, so it goes out chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>The configured limits: page size and body size come from AppOptions.Scim.</summary>
public sealed class ScimLimitsTests(ScimLimitsTests.SmallLimitsApp scim) : IClassFixture<ScimLimitsTests.SmallLimitsApp>
{
    public sealed class SmallLimitsApp : ScimTestApp
    {
        protected override void Configure(AppFactory app) => app
            .WithSetting("Catalytic:Scim:MaxPageSize", "3")
            .WithSetting("Catalytic:Scim:MaxRequestBodyBytes", "600");
    }

    [Fact]
    public async Task ListUsers_WithCountAboveMaxPageSize_ReturnsMaxPageSizeAndTheRealTotal()
    {
        var (_, own) = await scim.NewTeamAsync();
        for (var i = 0; i < 4; i++)
        {
            await own.CreateUserAsync(UniqueName());
        }

        var body = await own.GetAsync("Users?count=100").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(4, body.Total()); // the team's local admin is not SCIM's
        Assert.Equal(3, body.Resources().Length);
        Assert.Equal(3, body.GetProperty("itemsPerPage").GetInt32());
    }

    [Fact]
    public async Task ServiceProviderConfig_FilterMaxResults_IsTheConfiguredMaxPageSize()
    {
        var body = await scim.Client().GetAsync("ServiceProviderConfig").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(3, body.GetProperty("filter").GetProperty("maxResults").GetInt32());
    }

    [Fact]
    public async Task PostUser_OverTheConfiguredBodyLimit_Returns413()
    {
        var body = $$"""{"userName":"{{UniqueName()}}","title":"{{new string('x', 700)}}"}""";

        await scim.Client().PostJsonAsync("Users", body).ExpectErrorAsync(HttpStatusCode.RequestEntityTooLarge, null);
    }

    [Fact]
    public async Task PostUser_UnderTheConfiguredBodyLimit_IsAccepted()
    {
        await scim.Client().PostJsonAsync("Users", $$"""{"userName":"{{UniqueName()}}"}""").ExpectAsync(HttpStatusCode.Created);
    }
}
