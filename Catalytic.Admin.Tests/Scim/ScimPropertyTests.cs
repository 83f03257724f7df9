using System.Net;
using System.Text;
using System.Text.Json;
using Catalytic.Admin.Scim.Filters;
using Catalytic.Admin.Scim.Patch;
using Catalytic.Admin.Users;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// Property-based tests (FsCheck): generated and mangled filters and PATCH bodies never make the parser throw
/// anything but its own error, never make the endpoint answer 5xx, and printing a parsed filter or path gives
/// back the same tree.
/// </summary>
public sealed class ScimPropertyTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private static readonly string[] PatchErrorTypes = ["invalidSyntax", "invalidPath", "invalidValue", "noTarget"];

    private static readonly UserProfile Profile = new()
    {
        UserName = "erika",
        GivenName = "Erika",
        Email = "erika@example.com",
        PrimaryPhone = "+49 1",
        ExternalId = "x",
    };

    // ---- Filter parser ----------------------------------------------------------------------------------

    [Property(Arbitrary = [typeof(ScimGenerators)], MaxTest = 1000)]
    public bool Filter_PrintThenParse_GivesTheSameTree(FilterNode filter) =>
        ScimFilterParser.Parse(filter.ToString()) == filter;

    [Property(Arbitrary = [typeof(ScimGenerators)], MaxTest = 2000)]
    public void Filter_AnyText_ParsesOrFailsWithItsOwnErrorOnly(FilterText text)
    {
        if (!ScimFilterParser.TryParse(text.Value, out var parsed, out _))
        {
            return;
        }

        // Whatever parses also prints back to the same tree, and translates or fails with a filter error.
        Assert.Equal(parsed, ScimFilterParser.Parse(parsed.ToString()));
        try
        {
            UserFilterTranslator.Translate(parsed);
        }
        catch (ScimFilterException)
        {
        }
    }

    [Property(MaxTest = 1000)]
    public bool Filter_ArbitraryUnicodeText_ParsesOrFailsWithItsOwnErrorOnly(UnicodeString text) =>
        ScimFilterParser.TryParse(text.Item ?? "", out var parsed, out var error) ? parsed is not null : error is not null;

    [Property(Arbitrary = [typeof(ScimGenerators)], MaxTest = 1000)]
    public bool PatchPath_PrintThenParse_GivesTheSamePath(PatchPath path) =>
        ScimFilterParser.ParsePath(path.ToString()) == path;

    [Fact]
    public async Task Filter_GeneratedAndMangledOverHttp_NeverAnswers5xx()
    {
        var client = scim.Client();
        await client.CreateUserAsync(UniqueName(), $"{UniqueName()}@example.com");
        var samples = ScimGenerators.FilterTextGen().Sample(250, 30).Select(t => t.Value)
            .Concat(ScimGenerators.Filter().Sample(100, 20).Select(f => f.ToString()));

        var answered = new List<HttpStatusCode>();
        foreach (var filter in samples)
        {
            var response = await client.GetAsync($"Users?filter={Uri.EscapeDataString(filter)}&count=5");
            answered.Add(response.StatusCode);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode} for filter {filter}");
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
            }
        }

        // The samples reach the database as well as the parser's error paths.
        Assert.Contains(HttpStatusCode.OK, answered);
        Assert.Contains(HttpStatusCode.BadRequest, answered);
    }

    // ---- PATCH --------------------------------------------------------------------------------------------

    [Property(Arbitrary = [typeof(ScimGenerators)], MaxTest = 1500)]
    public void Patch_AnyBody_ParsesAndAppliesOrFailsWithAScimErrorOnly(PatchBody body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Json);
        }
        catch (JsonException)
        {
            return; // the endpoint answers 400 invalidSyntax before PATCH parsing
        }

        using (document)
        {
            if (!ScimPatchRequest.TryParse(document.RootElement, out var operations, out var error))
            {
                Assert.Contains(error.ScimType, PatchErrorTypes);
                return;
            }

            var result = ScimUserPatch.Apply(Profile, operations);
            Assert.True(result.Value is not null ^ result.Error is not null);
            Assert.Equal(UserErrorKind.InvalidValue, result.Error?.Kind ?? UserErrorKind.InvalidValue);
        }
    }

    [Property(Arbitrary = [typeof(ScimGenerators)], MaxTest = 1000)]
    public void UserBody_AnyObject_BecomesAProfileOrAnInvalidValue(UserBody body)
    {
        using var document = TryParse(body.Json);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var result = ScimUserBody.ToProfile(document.RootElement, active: true);
        Assert.True(result.Value is not null ^ result.Error is not null);
    }

    [Fact]
    public async Task Patch_GeneratedAndMangledOverHttp_NeverAnswers5xx()
    {
        var client = scim.Client();
        var user = await client.CreateUserAsync(UniqueName(), $"{UniqueName()}@example.com");

        var answered = new List<HttpStatusCode>();
        foreach (var body in ScimGenerators.PatchBodyGen().Sample(250, 20))
        {
            var response = await client.PatchJsonAsync($"Users/{user.Id()}", body.Json);
            answered.Add(response.StatusCode);
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for PATCH {body.Json}");
            Assert.Equal("application/scim+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Contains(HttpStatusCode.OK, answered);
        Assert.Contains(HttpStatusCode.BadRequest, answered);
    }

    [Fact]
    public async Task Post_GeneratedAndMangledOverHttp_NeverAnswers5xx()
    {
        var client = scim.Client();

        var answered = new List<HttpStatusCode>();
        foreach (var body in ScimGenerators.UserBodyGen().Sample(250, 20))
        {
            var response = await client.SendAsync(
                new HttpRequestMessage(HttpMethod.Post, "Users") { Content = new StringContent(body.Json, Encoding.UTF8) },
                TestContext.Current.CancellationToken);
            answered.Add(response.StatusCode);
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for POST {body.Json}");
            Assert.Equal("application/scim+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Contains(HttpStatusCode.BadRequest, answered);
    }

    [Fact]
    public async Task RawBytes_PostedAndPatchedOverHttp_NeverAnswer5xx()
    {
        var client = scim.Client();
        var user = await client.CreateUserAsync(UniqueName());
        var bytes = Gen.OneOf(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)),
            ScimGenerators.PatchBodyGen().Select(b => Encoding.UTF8.GetBytes(b.Json))
                .SelectMany(json => Gen.Choose(0, Math.Max(0, json.Length - 1)).SelectMany(at => Gen.Choose(128, 255).Select(b =>
                {
                    var copy = (byte[])json.Clone();
                    if (copy.Length > 0)
                    {
                        copy[at] = (byte)b;
                    }

                    return copy;
                }))));

        foreach (var body in bytes.Sample(150, 30))
        {
            foreach (var (method, url) in new[] { (HttpMethod.Post, "Users"), (HttpMethod.Patch, $"Users/{user.Id()}"), (HttpMethod.Put, $"Users/{user.Id()}") })
            {
                var response = await client.SendAsync(new HttpRequestMessage(method, url) { Content = new ByteArrayContent(body) }, TestContext.Current.CancellationToken);
                Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {method} of {Convert.ToHexString(body)}");
            }
        }
    }

    private static JsonDocument? TryParse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
