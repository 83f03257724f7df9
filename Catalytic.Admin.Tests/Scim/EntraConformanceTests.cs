using System.Net;
using Catalytic.Admin.Users;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// What Microsoft Entra ID's provisioning service sends, from its SCIM tutorial and its known-issues page:
/// Test Connection, lookups on userName, externalId and the work email, capitalised PATCH ops, booleans as
/// strings, dotted and URN keys in path-less values, default mappings for attributes the product does not
/// store, and deprovisioning (active false first, DELETE later).
/// </summary>
public sealed class EntraConformanceTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private readonly HttpClient client = scim.Client();

    private static string EntraUser(string userName, string email, string externalId) => $$"""
        {
          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "{{Enterprise}}"],
          "externalId": "{{externalId}}",
          "userName": "{{userName}}",
          "active": true,
          "displayName": "Test User",
          "emails": [{ "primary": true, "type": "work", "value": "{{email}}" }],
          "meta": { "resourceType": "User" },
          "name": { "formatted": "Test User", "familyName": "User", "givenName": "Test" },
          "title": "Engineer",
          "preferredLanguage": "en-US",
          "addresses": [{ "type": "work", "formatted": "1 Main St", "primary": true }],
          "phoneNumbers": [{ "type": "work", "value": "+1 555 0100" }, { "type": "mobile", "value": "+1 555 0199" }],
          "roles": [],
          "{{Enterprise}}": { "employeeNumber": "701984", "department": "Tour Operations", "manager": { "value": "123" } }
        }
        """;

    private async Task<(string Id, string UserName, string Email, string ExternalId)> CreateEntraUserAsync()
    {
        var userName = UniqueName("test");
        var email = $"{userName}@contoso.example";
        var externalId = Guid.NewGuid().ToString();
        var user = await client.PostJsonAsync("Users", EntraUser(userName, email, externalId)).ExpectAsync(HttpStatusCode.Created);
        return (user.Id(), userName, email, externalId);
    }

    [Fact]
    public async Task TestConnection_FilterByRandomGuidUserName_Returns200EmptyList()
    {
        var body = await client.FilterAsync($"userName eq \"{Guid.NewGuid()}\"");

        Assert.Equal(0, body.Total());
        Assert.Empty(body.Resources());
    }

    [Fact]
    public async Task FilterByUserPrincipalNameUserName_Returns200EmptyListNot400()
    {
        var body = await client.FilterAsync("userName eq \"erika.mustermann@contoso.example\"");

        Assert.Equal(0, body.Total());
    }

    [Fact]
    public async Task PostUser_WithEntraBodyAndEnterpriseExtension_Returns201AndKeepsOnlyStoredAttributes()
    {
        var userName = UniqueName("test");
        var response = await client.PostJsonAsync("Users", EntraUser(userName, $"{userName}@contoso.example", Guid.NewGuid().ToString()));

        var user = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("Test User", user.Str("displayName"));
        Assert.Equal("+1 555 0100", user.Phone());
        foreach (var dropped in new[] { "title", "preferredLanguage", "addresses", "roles", Enterprise })
        {
            Assert.False(user.TryGetProperty(dropped, out _), $"{dropped} should not be returned");
        }
    }

    [Fact]
    public async Task PostUser_WithUserPrincipalNameAsUserName_Returns400InvalidValueExplainingTheMapping()
    {
        var response = await client.PostJsonAsync("Users", EntraUser("erika.mustermann@contoso.example", "erika@contoso.example", Guid.NewGuid().ToString()));

        var detail = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidValue");
        Assert.Contains("mailNickname", detail, StringComparison.Ordinal);
        Assert.Contains("letters", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilterByExternalId_FindsTheUser()
    {
        var created = await CreateEntraUserAsync();

        var body = await client.FilterAsync($"externalId eq \"{created.ExternalId}\"");

        Assert.Equal(created.Id, Assert.Single(body.Resources()).Id());
    }

    [Fact]
    public async Task FilterByExternalId_InDifferentCase_FindsNothingBecauseExternalIdIsCaseExact()
    {
        var created = await CreateEntraUserAsync();

        var body = await client.FilterAsync($"externalId eq \"{created.ExternalId.ToUpperInvariant()}\"");

        Assert.Equal(0, body.Total());
    }

    [Fact]
    public async Task FilterByWorkEmailValuePath_FindsTheUserIgnoringCase()
    {
        var created = await CreateEntraUserAsync();

        var body = await client.FilterAsync($"emails[type eq \"work\"].value eq \"{created.Email.ToUpperInvariant()}\"");

        Assert.Equal(created.Id, Assert.Single(body.Resources()).Id());
    }

    [Fact]
    public async Task FilterByUserNameAndExternalId_FindsTheUser()
    {
        var created = await CreateEntraUserAsync();

        var body = await client.FilterAsync($"userName eq \"{created.UserName}\" and externalId eq \"{created.ExternalId}\"");

        Assert.Equal(1, body.Total());
    }

    [Fact]
    public async Task PatchUser_WithCapitalisedReplaceOps_UpdatesTheAttributes()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch(
            """{"op":"Replace","path":"displayName","value":"Erika M"}""",
            """{"op":"Replace","path":"name.givenName","value":"Erika"}""",
            """{"op":"Replace","path":"name.familyName","value":"Mustermann"}"""));

        var user = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Erika M", user.Str("displayName"));
        Assert.Equal("Erika", user.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("Mustermann", user.GetProperty("name").GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task PatchUser_AddOnExistingWorkEmail_ReplacesItAndKeepsOneWorkEmail()
    {
        var created = await CreateEntraUserAsync();
        var newEmail = $"new{created.Email}";

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch($$"""{"op":"Add","path":"emails[type eq \"work\"].value","value":"{{newEmail}}"}"""));

        var user = await response.ExpectAsync(HttpStatusCode.OK);
        var email = Assert.Single(user.GetProperty("emails").EnumerateArray());
        Assert.Equal(newEmail, email.GetProperty("value").GetString());
        Assert.Equal("work", email.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PatchUser_AddWorkEmailWhenTheUserHasNone_CreatesIt()
    {
        var user = await client.CreateUserAsync(UniqueName());
        var email = $"{UniqueName()}@contoso.example";

        var response = await client.PatchJsonAsync($"Users/{user.Id()}", Patch($$"""{"op":"Add","path":"emails[type eq \"work\"].value","value":"{{email}}"}"""));

        Assert.Equal(email, (await response.ExpectAsync(HttpStatusCode.OK)).Email());
    }

    [Fact]
    public async Task PatchUser_ReplaceActiveWithFalseString_Deactivates()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch("""{"op":"Replace","path":"active","value":"False"}"""));

        Assert.False((await response.ExpectAsync(HttpStatusCode.OK)).Active());
    }

    [Fact]
    public async Task PatchUser_ReplaceActiveWithTrueString_Reactivates()
    {
        var created = await CreateEntraUserAsync();
        await client.PatchJsonAsync($"Users/{created.Id}", Patch("""{"op":"Replace","path":"active","value":"False"}""")).ExpectAsync(HttpStatusCode.OK);

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch("""{"op":"Replace","path":"active","value":"True"}"""));

        Assert.True((await response.ExpectAsync(HttpStatusCode.OK)).Active());
    }

    [Fact]
    public async Task PatchUser_PathlessReplaceWithDottedAndUrnKeys_AppliesCoreAttributesAndDropsExtension()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch($$$"""
            {"op":"replace","value":{
              "displayName":"Erika Mustermann",
              "name.givenName":"Erika",
              "name.familyName":"Mustermann",
              "name.formatted":"Erika Mustermann",
              "emails[type eq \"work\"].value":"erika{{{created.Email}}}",
              "urn:ietf:params:scim:schemas:core:2.0:User:externalId":"{{{created.ExternalId}}}x",
              "{{{Enterprise}}}:employeeNumber":"7",
              "active":"True"
            }}
            """));

        var user = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Erika", user.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("Mustermann", user.GetProperty("name").GetProperty("familyName").GetString());
        Assert.Equal("Erika Mustermann", user.GetProperty("name").GetProperty("formatted").GetString());
        Assert.Equal("erika" + created.Email, user.Email());
        Assert.Equal(created.ExternalId + "x", user.Str("externalId"));
        Assert.False(user.TryGetProperty(Enterprise, out _));
    }

    [Fact]
    public async Task PatchUser_DefaultMappingsForUnstoredAttributes_AreAcceptedAndDropped()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch(
            """{"op":"Add","path":"title","value":"Manager"}""",
            """{"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"}""",
            """{"op":"Add","path":"addresses[type eq \"work\"].streetAddress","value":"Main St"}""",
            """{"op":"Add","path":"preferredLanguage","value":"de-DE"}""",
            $$"""{"op":"Add","path":"{{Enterprise}}:department","value":"Sales"}""",
            $$"""{"op":"Add","path":"{{Enterprise}}:employeeNumber","value":"42"}""",
            $$"""{"op":"Replace","path":"{{Enterprise}}:manager","value":"26118915-6090-4610-87e4-49d8ca9f808d"}""",
            """{"op":"Add","path":"roles","value":[{"value":"admin","primary":"True"}]}""",
            """{"op":"Replace","path":"userType","value":"Member"}"""));

        var user = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(created.UserName, user.Str("userName"));
        Assert.False(user.TryGetProperty("title", out _));
    }

    [Fact]
    public async Task PatchUser_RemoveManagerExtensionAttribute_Returns200()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch($$"""{"op":"Remove","path":"{{Enterprise}}:manager"}"""));

        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PatchUser_MobilePhoneValuePath_SetsTheOnePhone()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await client.PatchJsonAsync($"Users/{user.Id()}", Patch("""{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+49 151 000"}"""));

        Assert.Equal("+49 151 000", (await response.ExpectAsync(HttpStatusCode.OK)).Phone());
    }

    [Fact]
    public async Task PatchUser_WorkAndMobilePhoneInOneRequest_KeepsTheWorkNumberWhateverTheOrder()
    {
        var user = await client.CreateUserAsync(UniqueName());

        var response = await client.PatchJsonAsync($"Users/{user.Id()}", Patch(
            """{"op":"Add","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"}""",
            """{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0199"}"""));

        Assert.Equal("+1 555 0100", (await response.ExpectAsync(HttpStatusCode.OK)).Phone());
    }

    [Fact]
    public async Task Deprovisioning_ActiveFalse_UserIsStillReturnedByFilterAsInactive()
    {
        var created = await CreateEntraUserAsync();
        await client.PatchJsonAsync($"Users/{created.Id}", Patch("""{"op":"Replace","path":"active","value":"False"}""")).ExpectAsync(HttpStatusCode.OK);

        var byUserName = await client.FilterAsync($"userName eq \"{created.UserName}\"");
        var byExternalId = await client.FilterAsync($"externalId eq \"{created.ExternalId}\"");

        Assert.False(Assert.Single(byUserName.Resources()).Active());
        Assert.False(Assert.Single(byExternalId.Resources()).Active());
    }

    [Fact]
    public async Task DeleteUser_Returns204_ThenGetReturns404()
    {
        var created = await CreateEntraUserAsync();

        var deleted = await client.DeleteAsync($"Users/{created.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        await client.GetAsync($"Users/{created.Id}").ExpectErrorAsync(HttpStatusCode.NotFound, null);
        Assert.Equal(0, (await client.FilterAsync($"userName eq \"{created.UserName}\"")).Total());
    }

    [Fact]
    public async Task DeleteUser_Twice_SecondReturns404()
    {
        var created = await CreateEntraUserAsync();
        await client.DeleteAsync($"Users/{created.Id}");

        await client.DeleteAsync($"Users/{created.Id}").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task PostUser_WithAnotherUsersEmail_Returns409UniquenessNamingTheEmail()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PostJsonAsync("Users", EntraUser(UniqueName(), created.Email.ToUpperInvariant(), Guid.NewGuid().ToString()));

        var detail = await response.ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        Assert.Contains("email", detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PatchUser_ReplacingWithTheSameValues_Returns200()
    {
        var created = await CreateEntraUserAsync();

        var response = await client.PatchJsonAsync($"Users/{created.Id}", Patch($$"""{"op":"Replace","path":"userName","value":"{{created.UserName}}"}"""));

        Assert.Equal(created.UserName, (await response.ExpectAsync(HttpStatusCode.OK)).Str("userName"));
    }

    [Fact]
    public async Task AdminCreatedAccount_FoundByUserNameAndPatched_BecomesIdpManagedWithExternalId()
    {
        var userName = UniqueName("erika");
        var admin = await scim.App.Get<UserDirectory>().CreateAsync(scim.Team.Id, new UserProfile { UserName = userName, Email = $"{userName}@contoso.example" }, UserSource.Admin);
        Assert.Equal(UserSource.Admin, admin.User!.Source);
        var externalId = Guid.NewGuid().ToString();

        var found = await client.FilterAsync($"userName eq \"{userName}\"");
        var id = Assert.Single(found.Resources()).Id();
        var response = await client.PatchJsonAsync($"Users/{id}", Patch($$"""{"op":"Replace","path":"externalId","value":"{{externalId}}"}"""));

        Assert.Equal(externalId, (await response.ExpectAsync(HttpStatusCode.OK)).Str("externalId"));
        var stored = await scim.App.Get<UserDirectory>().FindAsync(scim.Team.Id, admin.User.Id);
        Assert.Equal(UserSource.Idp, stored!.Source);
        Assert.Equal(externalId, stored.ExternalId);
    }

    [Fact]
    public async Task PostUser_WithEmailOfAnAdminCreatedAccount_Returns409AndNeverLinksByEmail()
    {
        var userName = UniqueName("erika");
        var email = $"{userName}@contoso.example";
        var admin = await scim.App.Get<UserDirectory>().CreateAsync(scim.Team.Id, new UserProfile { UserName = userName, Email = email }, UserSource.Admin);

        var response = await client.PostJsonAsync("Users", EntraUser(UniqueName("other"), email, Guid.NewGuid().ToString()));

        await response.ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        var stored = await scim.App.Get<UserDirectory>().FindAsync(scim.Team.Id, admin.User!.Id);
        Assert.Equal(UserSource.Admin, stored!.Source);
        Assert.Null(stored.ExternalId);
        Assert.Equal(userName, stored.UserName);
    }
}
