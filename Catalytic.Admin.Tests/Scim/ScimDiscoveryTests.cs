using System.Net;
using System.Text.Json;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>/ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4) tell the truth about what is implemented.</summary>
public sealed class ScimDiscoveryTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private readonly HttpClient client = scim.Client();

    [Fact]
    public async Task ServiceProviderConfig_DescribesTheSupportedFeatures()
    {
        var config = await client.GetAsync("ServiceProviderConfig").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig", config.GetProperty("schemas")[0].GetString());
        Assert.True(config.GetProperty("patch").GetProperty("supported").GetBoolean());
        Assert.False(config.GetProperty("bulk").GetProperty("supported").GetBoolean());
        Assert.True(config.GetProperty("filter").GetProperty("supported").GetBoolean());
        Assert.Equal(1000, config.GetProperty("filter").GetProperty("maxResults").GetInt32());
        Assert.False(config.GetProperty("changePassword").GetProperty("supported").GetBoolean());
        Assert.True(config.GetProperty("sort").GetProperty("supported").GetBoolean());
        Assert.True(config.GetProperty("etag").GetProperty("supported").GetBoolean());
        Assert.Equal("oauthbearertoken", config.GetProperty("authenticationSchemes")[0].GetProperty("type").GetString());
        Assert.EndsWith($"/scim/v2/{scim.Team.Slug}/ServiceProviderConfig", config.GetProperty("meta").GetProperty("location").GetString());
    }

    [Fact]
    public async Task ResourceTypes_ListsTheUserResourceTypeInAListResponse()
    {
        var list = await client.GetAsync("ResourceTypes").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(ListResponseSchema, list.GetProperty("schemas")[0].GetString());
        Assert.Equal(1, list.Total());
        var user = Assert.Single(list.Resources());
        Assert.Equal("User", user.Str("id"));
        Assert.Equal("/Users", user.Str("endpoint"));
        Assert.Equal(UserSchema, user.Str("schema"));
        Assert.Empty(user.GetProperty("schemaExtensions").EnumerateArray());
    }

    [Theory]
    [InlineData("User")]
    [InlineData("user")]
    public async Task ResourceType_User_IsReturnedByName(string name)
    {
        var type = await client.GetAsync($"ResourceTypes/{name}").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("User", type.Str("name"));
        Assert.EndsWith("/ResourceTypes/User", type.GetProperty("meta").GetProperty("location").GetString());
    }

    [Fact]
    public async Task ResourceType_Group_Returns404BecauseGroupsAreNotImplemented()
    {
        await client.GetAsync("ResourceTypes/Group").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task Schemas_ListsOnlyTheUserSchemaWithTheStoredAttributes()
    {
        var list = await client.GetAsync("Schemas").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(ListResponseSchema, list.GetProperty("schemas")[0].GetString());
        var schema = Assert.Single(list.Resources());
        Assert.Equal(UserSchema, schema.Id());
        Assert.Equal("userName,name,displayName,emails,phoneNumbers,active", string.Join(',', AttributeNames(schema)));
        var userName = schema.GetProperty("attributes").EnumerateArray().Single(a => a.Str("name") == "userName");
        Assert.True(userName.GetProperty("required").GetBoolean());
        Assert.False(userName.GetProperty("caseExact").GetBoolean());
        Assert.Equal("server", userName.Str("uniqueness"));
    }

    [Fact]
    public async Task Schema_ByUrn_IsReturnedAndUnknownUrnIs404()
    {
        var schema = await client.GetAsync($"Schemas/{UserSchema}").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("User", schema.Str("name"));
        await client.GetAsync("Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task Schema_NamesEveryAttributeAUserResourceCanCarry()
    {
        var user = await client.PostJsonAsync("Users", $$"""
            {"userName":"{{UniqueName()}}","displayName":"D","name":{"givenName":"G","familyName":"F"},
             "emails":[{"value":"{{UniqueName()}}@example.com"}],"phoneNumbers":[{"value":"1"}],"externalId":"x"}
            """).ExpectAsync(HttpStatusCode.Created);
        var schema = await client.GetAsync($"Schemas/{UserSchema}").ExpectAsync(HttpStatusCode.OK);

        // id, externalId and meta are common attributes, which no schema lists (RFC 7643 §3.1).
        var returned = user.EnumerateObject().Select(p => p.Name).Except(["schemas", "id", "externalId", "meta"]);
        Assert.Equal(AttributeNames(schema).Order(), returned.Order());
    }

    [Theory]
    [InlineData("POST", "ServiceProviderConfig")]
    [InlineData("PUT", "ServiceProviderConfig")]
    [InlineData("PATCH", "ResourceTypes")]
    [InlineData("DELETE", "ResourceTypes/User")]
    [InlineData("POST", "Schemas")]
    [InlineData("PUT", "Schemas/urn:ietf:params:scim:schemas:core:2.0:User")]
    public async Task Discovery_WithAWriteMethod_Returns405ScimError(string method, string path)
    {
        var response = await client.SendJsonAsync(new HttpMethod(method), path, "{}");

        await response.ExpectErrorAsync(HttpStatusCode.MethodNotAllowed, null);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.Order());
    }

    [Theory]
    [InlineData("ServiceProviderConfig")]
    [InlineData("ResourceTypes")]
    [InlineData("Schemas")]
    public async Task Discovery_WithAFilter_Returns403(string path)
    {
        await client.GetAsync($"{path}?filter={Uri.EscapeDataString("name eq \"User\"")}").ExpectErrorAsync(HttpStatusCode.Forbidden, null);
    }

    private static IEnumerable<string> AttributeNames(JsonElement schema) =>
        schema.GetProperty("attributes").EnumerateArray().Select(a => a.Str("name")!);
}
