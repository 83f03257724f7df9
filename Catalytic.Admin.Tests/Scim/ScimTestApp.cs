using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// One app (one SQLite file) per test class, with a team that has SCIM on. Tests that count or page through
/// users take a fresh team of their own (<see cref="NewTeamAsync"/>), so no test depends on another.
/// </summary>
public class ScimTestApp : IAsyncLifetime
{
    private int teams;

    public AppFactory App { get; } = new();

    public TestTeam Team { get; private set; } = null!;

    public string Token { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Configure(App);
        Team = await App.CreateTeamAsync("acme");
        Token = await App.EnableScimAsync(Team);
        await SeedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Users every test of the class reads (and none changes).</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    /// <summary>Settings for the app, applied before it starts.</summary>
    protected virtual void Configure(AppFactory app)
    {
    }

    public HttpClient Client() => App.CreateScimClient(Team, Token);

    /// <summary>A team of its own (own users, own token), for tests that look at the whole user list.</summary>
    public async Task<(TestTeam Team, HttpClient Client)> NewTeamAsync()
    {
        var team = await App.CreateTeamAsync($"team{Interlocked.Increment(ref teams)}");
        var token = await App.EnableScimAsync(team);
        return (team, App.CreateScimClient(team, token));
    }
}

/// <summary>Requests as IdPs write them, and the assertions every SCIM response must pass.</summary>
public static class ScimHttp
{
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string PatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public const string ListResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A userName no other test uses: letters and digits only, as the product requires.</summary>
    public static string UniqueName(string prefix = "user") => prefix + Guid.NewGuid().ToString("N")[..10];

    public static string UserBody(string userName, string? email = null, string? externalId = null, bool active = true, string? givenName = "Erika", string? familyName = "Mustermann") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["schemas"] = new[] { UserSchema },
            ["userName"] = userName,
            ["externalId"] = externalId,
            ["name"] = new { givenName, familyName },
            ["emails"] = email is null ? Array.Empty<object>() : new object[] { new { primary = true, value = email, type = "work" } },
            ["active"] = active,
        });

    public static string Patch(params string[] operations) =>
        $$"""{"schemas":["{{PatchOpSchema}}"],"Operations":[{{string.Join(",", operations)}}]}""";

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, string json, string? contentType = ScimJson.MediaType)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        return client.SendAsync(new HttpRequestMessage(method, url) { Content = content }, Ct);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json, string? contentType = ScimJson.MediaType) =>
        client.SendJsonAsync(HttpMethod.Post, url, json, contentType);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, string json) => client.SendJsonAsync(HttpMethod.Put, url, json);

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string url, string json) => client.SendJsonAsync(HttpMethod.Patch, url, json);

    public static Task<HttpResponseMessage> GetAsync(this HttpClient client, string url) => client.GetAsync(url, Ct);

    public static Task<HttpResponseMessage> DeleteAsync(this HttpClient client, string url) => client.DeleteAsync(url, Ct);

    /// <summary>Creates a user and returns its resource; fails the test unless the answer is 201.</summary>
    public static async Task<JsonElement> CreateUserAsync(this HttpClient client, string userName, string? email = null, string? externalId = null)
    {
        var response = await client.PostJsonAsync("Users", UserBody(userName, email, externalId));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static async Task<JsonElement> ExpectAsync(this Task<HttpResponseMessage> response, HttpStatusCode status) =>
        await (await response).ExpectAsync(status);

    public static async Task<string> ExpectErrorAsync(this Task<HttpResponseMessage> response, HttpStatusCode status, string? scimType) =>
        await (await response).ExpectErrorAsync(status, scimType);

    public static async Task<JsonElement> ExpectAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"Expected {(int)status} but got {(int)response.StatusCode}: {text}");
        Assert.Equal(ScimJson.MediaType, response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a SCIM Error response: the status, as a string too, and the RFC 7644 §3.12 scimType.</summary>
    public static async Task<string> ExpectErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string? scimType)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal(ScimError.Schema, body.GetProperty("schemas")[0].GetString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("status").ValueKind);
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("status").GetString());
        if (scimType is null)
        {
            Assert.False(body.TryGetProperty("scimType", out _), "No scimType was expected.");
        }
        else
        {
            Assert.Equal(scimType, body.GetProperty("scimType").GetString());
        }

        var detail = body.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        return detail!;
    }

    /// <summary>GET /Users?filter=…, returning the ListResponse after checking its envelope.</summary>
    public static async Task<JsonElement> FilterAsync(this HttpClient client, string filter, string extra = "")
    {
        var response = await client.GetAsync($"Users?filter={Uri.EscapeDataString(filter)}{extra}");
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(ListResponseSchema, body.GetProperty("schemas")[0].GetString());
        return body;
    }

    public static int Total(this JsonElement list) => list.GetProperty("totalResults").GetInt32();

    public static JsonElement[] Resources(this JsonElement list) => [.. list.GetProperty("Resources").EnumerateArray()];

    public static string Id(this JsonElement resource) => resource.GetProperty("id").GetString()!;

    public static string? Str(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static string? Email(this JsonElement user) =>
        user.TryGetProperty("emails", out var emails) ? emails[0].GetProperty("value").GetString() : null;

    public static string? Phone(this JsonElement user) =>
        user.TryGetProperty("phoneNumbers", out var phones) ? phones[0].GetProperty("value").GetString() : null;

    public static bool Active(this JsonElement user) => user.GetProperty("active").GetBoolean();
}
