using System.Net;
using System.Text.Json;
using Catalytic.Admin.Users;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// What Okta sends, in the order its SCIM 2.0 spec test and its protocol reference describe: the lookup before a
/// create, the create with extra attributes, the duplicate, the case-insensitive lookup, paging, the path-less
/// PATCH that (de)activates, and the whole-object PUT that wizard-built apps use for every update.
/// </summary>
public sealed class OktaConformanceTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private readonly HttpClient client = scim.Client();

    /// <summary>The create body Okta's provisioning sends, password and groups included.</summary>
    private static string OktaUser(string userName, string email, bool active = true) => $$"""
        {
          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
          "userName": "{{userName}}",
          "name": { "givenName": "Erika", "familyName": "Mustermann" },
          "emails": [{ "primary": true, "value": "{{email}}", "type": "work" }],
          "displayName": "Erika Mustermann",
          "locale": "en-US",
          "externalId": "00u1abcd{{userName}}",
          "groups": [],
          "password": "1mz050nq",
          "active": {{(active ? "true" : "false")}}
        }
        """;

    [Fact]
    public async Task GetUsers_WithStartIndexAndCount_ReturnsListResponseWithIntegerPaging()
    {
        await client.CreateUserAsync(UniqueName());
        var body = await client.GetAsync("Users?count=1&startIndex=1").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(ListResponseSchema, body.GetProperty("schemas")[0].GetString());
        Assert.Equal(JsonValueKind.Number, body.GetProperty("totalResults").ValueKind);
        Assert.Equal(1, body.GetProperty("startIndex").GetInt32());
        Assert.Equal(1, body.GetProperty("itemsPerPage").GetInt32());
        Assert.Single(body.Resources());
        Assert.True(body.Total() >= 1);
    }

    [Fact]
    public async Task FilterByRandomUserName_WithOktaPaging_Returns200EmptyList()
    {
        var body = await client.FilterAsync($"userName eq \"{UniqueName()}\"", "&startIndex=1&count=100");

        Assert.Equal(0, body.Total());
        Assert.Empty(body.Resources());
    }

    [Fact]
    public async Task GetUser_WithRandomId_Returns404ScimError()
    {
        var response = await client.GetAsync($"Users/{Guid.NewGuid()}");

        await response.ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task PostUser_WithOktaBody_Returns201WithResourceAndLocation()
    {
        var userName = UniqueName("erika");
        var response = await client.PostJsonAsync("Users", OktaUser(userName, $"{userName}@example.com"));
        var user = await response.ExpectAsync(HttpStatusCode.Created);

        Assert.False(string.IsNullOrEmpty(user.Id()));
        Assert.Equal(userName, user.Str("userName"));
        Assert.True(user.Active());
        Assert.Equal("Erika", user.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("Mustermann", user.GetProperty("name").GetProperty("familyName").GetString());
        Assert.Equal($"{userName}@example.com", user.Email());
        Assert.Equal("00u1abcd" + userName, user.Str("externalId"));
        Assert.Equal(user.GetProperty("meta").GetProperty("location").GetString(), response.Headers.Location?.ToString());
        Assert.EndsWith($"/scim/v2/{scim.Team.Slug}/Users/{user.Id()}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task PostUser_WithPasswordLocaleAndGroups_StoresNoneOfThemAndNeverReturnsPassword()
    {
        var userName = UniqueName();
        var created = await client.PostJsonAsync("Users", OktaUser(userName, $"{userName}@example.com")).ExpectAsync(HttpStatusCode.Created);
        var fetched = await client.GetAsync($"Users/{created.Id()}").ExpectAsync(HttpStatusCode.OK);

        foreach (var user in new[] { created, fetched })
        {
            Assert.False(user.TryGetProperty("password", out _));
            Assert.False(user.TryGetProperty("locale", out _));
            Assert.False(user.TryGetProperty("groups", out _));
        }

        await using var db = await scim.App.DbAsync();
        Assert.Null(db.Users.Single(u => u.UserName == userName).PasswordHash);
    }

    [Fact]
    public async Task GetUser_AfterCreate_ReturnsTheSameUser()
    {
        var userName = UniqueName();
        var created = await client.CreateUserAsync(userName);

        var fetched = await client.GetAsync($"Users/{created.Id()}").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(created.Id(), fetched.Id());
        Assert.Equal(userName, fetched.Str("userName"));
    }

    [Fact]
    public async Task PostUser_SameUserNameAgain_Returns409Uniqueness()
    {
        var userName = UniqueName();
        await client.PostJsonAsync("Users", OktaUser(userName, $"{userName}@example.com")).ExpectAsync(HttpStatusCode.Created);

        var again = await client.PostJsonAsync("Users", OktaUser(userName, $"{userName}@example.com"));

        var detail = await again.ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        Assert.Contains(userName, detail, StringComparison.Ordinal);
        Assert.Contains("userName", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilterByUserName_InDifferentCase_FindsTheUser()
    {
        var userName = UniqueName("Erika");
        await client.CreateUserAsync(userName);

        var upper = await client.FilterAsync($"userName eq \"{userName.ToUpperInvariant()}\"");
        var lower = await client.FilterAsync($"userName eq \"{userName.ToLowerInvariant()}\"");

        Assert.Equal(1, upper.Total());
        Assert.Equal(1, lower.Total());
        Assert.Equal(userName, upper.Resources()[0].Str("userName"));
    }

    [Fact]
    public async Task PostUser_SameUserNameInDifferentCase_Returns409Uniqueness()
    {
        var userName = UniqueName("Erika");
        await client.CreateUserAsync(userName);

        var response = await client.PostJsonAsync("Users", UserBody(userName.ToUpperInvariant()));

        await response.ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
    }

    [Fact]
    public async Task GetUsers_WithBareValueFilter_Returns400InvalidFilter()
    {
        var response = await client.GetAsync("Users?filter=ErikaM");

        await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
    }

    [Fact]
    public async Task PatchUser_OktaPathlessReplaceActiveFalse_DeactivatesAndReturns200()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await client.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","value":{"active":false}}"""));

        var patched = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.False(patched.Active());
        Assert.False((await client.GetAsync($"Users/{user.Id()}").ExpectAsync(HttpStatusCode.OK)).Active());
    }

    [Fact]
    public async Task PatchUser_OktaPathlessReplaceActiveTrue_Reactivates()
    {
        var user = await client.CreateUserAsync(UniqueName());
        await client.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","value":{"active":false}}""")).ExpectAsync(HttpStatusCode.OK);

        var response = await client.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"replace","value":{"active":true}}"""));

        Assert.True((await response.ExpectAsync(HttpStatusCode.OK)).Active());
    }

    [Fact]
    public async Task PutUser_WholeOktaObject_UpdatesAttributes()
    {
        var userName = UniqueName();
        var user = await client.PostJsonAsync("Users", OktaUser(userName, $"{userName}@example.com")).ExpectAsync(HttpStatusCode.Created);
        var changed = OktaUser(userName, $"new{userName}@example.com").Replace("\"Erika\"", "\"Erica\"", StringComparison.Ordinal);

        var response = await client.PutJsonAsync($"Users/{user.Id()}", changed);

        var replaced = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Erica", replaced.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal($"new{userName}@example.com", replaced.Email());
        Assert.Equal(user.Id(), replaced.Id());
    }

    [Fact]
    public async Task PutUser_WholeOktaObjectWithActiveFalse_Deactivates()
    {
        var userName = UniqueName();
        var user = await client.PostJsonAsync("Users", OktaUser(userName, $"{userName}@example.com")).ExpectAsync(HttpStatusCode.Created);

        var response = await client.PutJsonAsync($"Users/{user.Id()}", OktaUser(userName, $"{userName}@example.com", active: false));

        Assert.False((await response.ExpectAsync(HttpStatusCode.OK)).Active());
        var found = await client.FilterAsync($"userName eq \"{userName}\"");
        Assert.False(found.Resources()[0].Active());
    }

    [Fact]
    public async Task PostUser_WithoutContentType_IsParsedAsJson()
    {
        var response = await client.PostJsonAsync("Users", UserBody(UniqueName()), contentType: null);

        await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task PostUser_WithApplicationJsonContentType_IsAccepted()
    {
        var response = await client.PostJsonAsync("Users", UserBody(UniqueName()), contentType: "application/json");

        await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task PostUser_ThroughScim_IsMarkedAsIdpManagedWithTeamDefaults()
    {
        var userName = UniqueName();
        await client.CreateUserAsync(userName);

        await using var db = await scim.App.DbAsync();
        var stored = db.Users.Single(u => u.UserName == userName);
        Assert.Equal(UserSource.Idp, stored.Source);
        Assert.Equal(EmailNotifications.MentionsOnly, stored.EmailNotifications);
        Assert.True(stored.ShowWelcomeTour);
    }
}
