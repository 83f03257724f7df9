using System.Net;
using System.Text.Json;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>PATCH (RFC 7644 §3.5.2): add, replace and remove, with and without paths, and every way it can be malformed.</summary>
public sealed class ScimPatchTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private readonly HttpClient client = scim.Client();

    /// <summary>A user with every stored attribute set.</summary>
    private async Task<(string Id, string UserName, string Email)> FullUserAsync()
    {
        var userName = UniqueName();
        var email = $"{userName}@example.com";
        var user = await client.PostJsonAsync("Users", $$"""
            {"userName":"{{userName}}","externalId":"ext{{userName}}","displayName":"Erika M","name":{"givenName":"Erika","familyName":"Mustermann"},
             "emails":[{"value":"{{email}}","type":"work","primary":true}],"phoneNumbers":[{"value":"+49 1","type":"work"}]}
            """).ExpectAsync(HttpStatusCode.Created);
        return (user.Id(), userName, email);
    }

    private async Task<JsonElement> PatchOkAsync(string id, params string[] operations) =>
        await client.PatchJsonAsync($"Users/{id}", Patch(operations)).ExpectAsync(HttpStatusCode.OK);

    private async Task<string> PatchErrorAsync(string id, string body, string scimType) =>
        await client.PatchJsonAsync($"Users/{id}", body).ExpectErrorAsync(HttpStatusCode.BadRequest, scimType);

    private async Task<JsonElement> GetAsync(string id) => await client.GetAsync($"Users/{id}").ExpectAsync(HttpStatusCode.OK);

    // ---- With a path ------------------------------------------------------------------------------------

    [Fact]
    public async Task Replace_UserName_ChangesIt()
    {
        var user = await FullUserAsync();
        var newName = UniqueName();

        var patched = await PatchOkAsync(user.Id, $$"""{"op":"replace","path":"userName","value":"{{newName}}"}""");

        Assert.Equal(newName, patched.Str("userName"));
    }

    [Fact]
    public async Task Replace_UserNameWithAnEmail_Returns400InvalidValue()
    {
        var user = await FullUserAsync();

        var detail = await PatchErrorAsync(user.Id, Patch("""{"op":"replace","path":"userName","value":"erika@example.com"}"""), "invalidValue");

        Assert.Contains("mail nickname", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_UserNameWithOneTakenInAnotherCase_Returns409Uniqueness()
    {
        var other = await FullUserAsync();
        var user = await FullUserAsync();

        await client.PatchJsonAsync($"Users/{user.Id}", Patch($$"""{"op":"replace","path":"userName","value":"{{other.UserName.ToUpperInvariant()}}"}"""))
            .ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
    }

    [Fact]
    public async Task Replace_EmailWithOneTakenByAnotherUser_Returns409Uniqueness()
    {
        var other = await FullUserAsync();
        var user = await FullUserAsync();

        await client.PatchJsonAsync($"Users/{user.Id}", Patch($$"""{"op":"replace","path":"emails[type eq \"work\"].value","value":"{{other.Email}}"}"""))
            .ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
    }

    [Fact]
    public async Task Remove_UserName_Returns400BecauseItIsRequired()
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch("""{"op":"remove","path":"userName"}"""), "invalidValue");
    }

    [Fact]
    public async Task Add_OnExistingSingleValuedAttribute_ReplacesIt()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"add","path":"displayName","value":"Someone Else"}""");

        Assert.Equal("Someone Else", patched.Str("displayName"));
    }

    [Fact]
    public async Task Remove_DisplayName_LeavesItUnassigned()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"displayName"}""");

        Assert.False(patched.TryGetProperty("displayName", out _));
    }

    [Fact]
    public async Task Replace_WithNullValue_ClearsTheAttribute()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","path":"externalId","value":null}""");

        Assert.False(patched.TryGetProperty("externalId", out _));
    }

    [Fact]
    public async Task Replace_NameObject_MergesSubAttributes()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","path":"name","value":{"givenName":"Erica","middleName":"X"}}""");

        Assert.Equal("Erica", patched.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("Mustermann", patched.GetProperty("name").GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task Remove_NameGivenName_KeepsFamilyName()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"name.givenName"}""");

        Assert.False(patched.GetProperty("name").TryGetProperty("givenName", out _));
        Assert.Equal("Mustermann", patched.GetProperty("name").GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task Remove_Name_ClearsBothParts()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"name"}""");

        Assert.False(patched.TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Replace_EmailsArray_ReplacesTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, $$"""{"op":"replace","path":"emails","value":[{"value":"x{{user.Email}}","type":"work","primary":true}]}""");

        Assert.Equal("x" + user.Email, patched.Email());
    }

    [Fact]
    public async Task Replace_EmailsWithEmptyArray_RemovesTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","path":"emails","value":[]}""");

        Assert.False(patched.TryGetProperty("emails", out _));
    }

    [Fact]
    public async Task Add_EmailsEmptyArray_ChangesNothing()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"add","path":"emails","value":[]}""");

        Assert.Equal(user.Email, patched.Email());
    }

    [Fact]
    public async Task Remove_Emails_RemovesTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"emails"}""");

        Assert.False(patched.TryGetProperty("emails", out _));
    }

    [Fact]
    public async Task Remove_EmailsWithMatchingFilter_RemovesTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, $$"""{"op":"remove","path":"emails[value eq \"{{user.Email.ToUpperInvariant()}}\"]"}""");

        Assert.False(patched.TryGetProperty("emails", out _));
    }

    [Fact]
    public async Task Remove_EmailsWithFilterMatchingNothing_KeepsTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"emails[type eq \"home\"]"}""");

        Assert.Equal(user.Email, patched.Email());
    }

    [Fact]
    public async Task Remove_WorkEmailValue_RemovesTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"emails[type eq \"work\"].value"}""");

        Assert.False(patched.TryGetProperty("emails", out _));
    }

    [Fact]
    public async Task Replace_FilteredEmailWithElementObject_SetsTheEmail()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, $$"""{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"y{{user.Email}}","primary":true} }""");

        Assert.Equal("y" + user.Email, patched.Email());
    }

    [Fact]
    public async Task Replace_FilteredEmailPrimaryOrType_IsAcceptedWithoutChange()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(
            user.Id,
            """{"op":"replace","path":"emails[type eq \"work\"].primary","value":true}""",
            """{"op":"replace","path":"emails[type eq \"work\"].type","value":"home"}""");

        Assert.Equal("work", patched.GetProperty("emails")[0].GetProperty("type").GetString());
        Assert.Equal(user.Email, patched.Email());
    }

    [Fact]
    public async Task Replace_PhoneNumbers_SetsTheOnePhone()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","path":"phoneNumbers","value":[{"value":"+1 2","type":"mobile"},{"value":"+1 3","type":"work"}]}""");

        Assert.Equal("+1 3", patched.Phone());
    }

    [Fact]
    public async Task Remove_PhoneValuePath_RemovesThePhone()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"remove","path":"phoneNumbers[type eq \"work\"].value"}""");

        Assert.False(patched.TryGetProperty("phoneNumbers", out _));
    }

    [Fact]
    public async Task Replace_UrnPrefixedCorePath_ChangesTheAttribute()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:displayName","value":"Via URN"}""");

        Assert.Equal("Via URN", patched.Str("displayName"));
    }

    [Fact]
    public async Task Paths_AreCaseInsensitive()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(
            user.Id,
            """{"op":"replace","path":"DisplayName","value":"A"}""",
            """{"op":"replace","path":"NAME.GIVENNAME","value":"B"}""",
            $$"""{"op":"replace","path":"Emails[Type EQ \"WORK\"].Value","value":"z{{user.Email}}"}""");

        Assert.Equal("A", patched.Str("displayName"));
        Assert.Equal("B", patched.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("z" + user.Email, patched.Email());
    }

    [Theory]
    [InlineData("ADD")]
    [InlineData("Replace")]
    [InlineData("rEpLaCe")]
    public async Task Ops_AreMatchedIgnoringCase(string op)
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, $$"""{"op":"{{op}}","path":"displayName","value":"Case"}""");

        Assert.Equal("Case", patched.Str("displayName"));
    }

    [Fact]
    public async Task RemoveOp_IsMatchedIgnoringCase()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"REMOVE","path":"displayName"}""");

        Assert.False(patched.TryGetProperty("displayName", out _));
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("\"false\"", false)]
    [InlineData("\"FALSE\"", false)]
    [InlineData("true", true)]
    [InlineData("\"True\"", true)]
    public async Task Replace_Active_AcceptsBooleansAndBooleanStrings(string value, bool expected)
    {
        var user = await FullUserAsync();
        await PatchOkAsync(user.Id, """{"op":"replace","path":"active","value":false}""");

        var patched = await PatchOkAsync(user.Id, $$"""{"op":"replace","path":"active","value":{{value}}}""");

        Assert.Equal(expected, patched.Active());
    }

    [Fact]
    public async Task Replace_ReadOnlyAndUnknownPaths_AreIgnored()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(
            user.Id,
            """{"op":"replace","path":"id","value":"00000000-0000-0000-0000-000000000001"}""",
            """{"op":"replace","path":"meta.created","value":"2000-01-01T00:00:00Z"}""",
            """{"op":"replace","path":"password","value":"hunter2"}""",
            """{"op":"add","path":"groups","value":[{"value":"g1"}]}""",
            """{"op":"remove","path":"nickName"}""",
            """{"op":"remove","path":"addresses[type eq \"work\"]"}""",
            """{"op":"replace","path":"name.formatted","value":"Ignored Formatted"}""");

        Assert.Equal(user.Id, patched.Id());
        Assert.False(patched.TryGetProperty("password", out _));
        Assert.Equal("Erika Mustermann", patched.GetProperty("name").GetProperty("formatted").GetString());
    }

    // ---- Without a path ---------------------------------------------------------------------------------

    [Fact]
    public async Task PathlessAdd_WithNestedObjectsAndArrays_SetsEverything()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, $$"""
            {"op":"add","value":{"displayName":"D","name":{"familyName":"F"},"emails":[{"value":"n{{user.Email}}","primary":true}],"phoneNumbers":[{"value":"+2"}],"externalId":"e2"} }
            """);

        Assert.Equal("D", patched.Str("displayName"));
        Assert.Equal("F", patched.GetProperty("name").GetProperty("familyName").GetString());
        Assert.Equal("Erika", patched.GetProperty("name").GetProperty("givenName").GetString());
        Assert.Equal("n" + user.Email, patched.Email());
        Assert.Equal("+2", patched.Phone());
        Assert.Equal("e2", patched.Str("externalId"));
    }

    [Fact]
    public async Task PathlessReplace_WithCoreSchemaObject_ReadsTheAttributesInside()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User":{"displayName":"Nested"}}}""");

        Assert.Equal("Nested", patched.Str("displayName"));
    }

    [Fact]
    public async Task PathlessReplace_WithUnknownKeys_IgnoresThem()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(user.Id, """{"op":"replace","value":{"not a path!":1,"title":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d"},"displayName":"Kept"}}""");

        Assert.Equal("Kept", patched.Str("displayName"));
    }

    [Fact]
    public async Task SeveralOperations_ApplyInOrder()
    {
        var user = await FullUserAsync();

        var patched = await PatchOkAsync(
            user.Id,
            """{"op":"replace","path":"displayName","value":"First"}""",
            """{"op":"remove","path":"displayName"}""",
            """{"op":"add","path":"displayName","value":"Last"}""");

        Assert.Equal("Last", patched.Str("displayName"));
    }

    [Fact]
    public async Task FailingOperation_LeavesTheUserUnchanged()
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch("""{"op":"replace","path":"displayName","value":"Changed"}""", """{"op":"replace","path":"active","value":"maybe"}"""), "invalidValue");

        var stored = await GetAsync(user.Id);
        Assert.Equal("Erika M", stored.Str("displayName"));
        Assert.Equal("W/\"1\"", stored.GetProperty("meta").GetProperty("version").GetString());
    }

    [Fact]
    public async Task Patch_MarksTheAccountAsIdpManaged()
    {
        var userName = UniqueName();
        var admin = await scim.App.Get<Catalytic.Admin.Users.UserDirectory>().CreateAsync(
            scim.Team.Id, new Catalytic.Admin.Users.UserProfile { UserName = userName }, Catalytic.Admin.Users.UserSource.Admin);

        await PatchOkAsync(admin.User!.Id.ToString(), """{"op":"replace","value":{"active":true}}""");

        var stored = await scim.App.Get<Catalytic.Admin.Users.UserDirectory>().FindAsync(scim.Team.Id, admin.User.Id);
        Assert.Equal(Catalytic.Admin.Users.UserSource.Idp, stored!.Source);
    }

    // ---- Malformed requests -----------------------------------------------------------------------------

    [Fact]
    public async Task Remove_WithoutPath_Returns400NoTarget()
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch("""{"op":"remove"}"""), "noTarget");
    }

    [Theory]
    [InlineData("""{"op":"move","path":"displayName","value":"x"}""")]
    [InlineData("""{"op":"copy","path":"displayName","value":"x"}""")]
    [InlineData("""{"op":"","path":"displayName","value":"x"}""")]
    [InlineData("""{"op":"1","path":"displayName","value":"x"}""")]
    [InlineData("""{"path":"displayName","value":"x"}""")]
    [InlineData("""{"op":true,"path":"displayName","value":"x"}""")]
    [InlineData("\"replace\"")]
    public async Task Operation_WithUnknownOrMissingOp_Returns400InvalidSyntax(string operation)
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch(operation), "invalidSyntax");
    }

    [Theory]
    [InlineData("""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}""")]
    [InlineData("""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}""")]
    [InlineData("""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{"op":"replace"}}""")]
    [InlineData("""[{"op":"replace","path":"displayName","value":"x"}]""")]
    [InlineData("""{"Operations":""")]
    [InlineData("")]
    public async Task Body_WithoutAnOperationsArray_Returns400InvalidSyntax(string body)
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, body, "invalidSyntax");
    }

    [Fact]
    public async Task Body_WithOperationsInAnyCase_IsRead()
    {
        var user = await FullUserAsync();

        var patched = await client.PatchJsonAsync($"Users/{user.Id}", """{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"OP":"replace","PATH":"displayName","VALUE":"ci"}]}""")
            .ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("ci", patched.Str("displayName"));
    }

    [Theory]
    [InlineData("emails[type eq \"work\"")]
    [InlineData("emails[type eq]")]
    [InlineData("name..givenName")]
    [InlineData("name.given.name")]
    [InlineData("display name")]
    [InlineData("emails[type eq \"work\"]value")]
    [InlineData("userName[value eq \"x\"]")]
    [InlineData("name[givenName eq \"x\"].familyName")]
    [InlineData("emails[value[type eq \"x\"] eq \"y\"]")]
    public async Task Operation_WithInvalidPath_Returns400InvalidPath(string path)
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch($$"""{"op":"replace","path":{{JsonSerializer.Serialize(path)}},"value":"x"}"""), "invalidPath");
    }

    [Fact]
    public async Task Operation_WithPathThatIsNotAString_Returns400InvalidPath()
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch("""{"op":"replace","path":["displayName"],"value":"x"}"""), "invalidPath");
    }

    [Fact]
    public async Task Add_WithoutValue_Returns400InvalidValue()
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch("""{"op":"add","path":"displayName"}"""), "invalidValue");
    }

    [Theory]
    [InlineData("\"a string\"")]
    [InlineData("[{\"displayName\":\"x\"}]")]
    [InlineData("null")]
    [InlineData("42")]
    public async Task PathlessReplace_WithValueThatIsNotAnObject_Returns400InvalidValue(string value)
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch($$"""{"op":"replace","value":{{value}}}"""), "invalidValue");
    }

    [Theory]
    [InlineData("displayName", "{\"a\":1}")]
    [InlineData("displayName", "[\"x\"]")]
    [InlineData("displayName", "true")]
    [InlineData("userName", "{}")]
    [InlineData("active", "\"yes\"")]
    [InlineData("active", "1")]
    [InlineData("name", "\"Erika\"")]
    [InlineData("name.givenName", "[1]")]
    [InlineData("emails", "\"a@b.c\"")]
    [InlineData("emails", "[\"a@b.c\"]")]
    [InlineData("emails[type eq \\\"work\\\"].value", "{\"value\":1}")]
    public async Task Replace_WithValueOfTheWrongType_Returns400InvalidValue(string path, string value)
    {
        var user = await FullUserAsync();

        await PatchErrorAsync(user.Id, Patch($$"""{"op":"replace","path":"{{path}}","value":{{value}}}"""), "invalidValue");
    }

    [Fact]
    public async Task Patch_OnUnknownUser_Returns404()
    {
        await client.PatchJsonAsync($"Users/{Guid.NewGuid()}", Patch("""{"op":"replace","path":"displayName","value":"x"}"""))
            .ExpectErrorAsync(HttpStatusCode.NotFound, null);
        await client.PatchJsonAsync("Users/nope", Patch("""{"op":"replace","path":"displayName","value":"x"}"""))
            .ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }
}
