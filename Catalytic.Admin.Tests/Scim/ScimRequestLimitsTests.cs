using System.Net;
using System.Net.Http.Headers;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Scim.Filters;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// What reaches the app over a real socket: Kestrel must let the documented 8,192-character filter through (the
/// app then enforces it as SCIM 400 invalidFilter), and HEAD is a GET without a body.
/// </summary>
public sealed class ScimRequestLimitsTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly AppFactory app = new();
    private HttpClient client = null!;

    public async ValueTask InitializeAsync()
    {
        var baseUrl = app.StartKestrel();
        var team = await app.CreateTeamAsync("acme");
        var token = await app.EnableScimAsync(team);
        client = new HttpClient { BaseAddress = new Uri($"{baseUrl}/scim/v2/{team.Slug}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
    }

    /// <summary>A filter of exactly <paramref name="length"/> characters, most of which percent-encode to three bytes.</summary>
    private static string Filter(int length)
    {
        // Spaces inside the quoted value: each one is %20 on the wire.
        const string head = "userName eq \"a";
        return head + new string(' ', length - head.Length - 1) + "\"";
    }

    [Fact]
    public async Task FilterOfTheDocumentedMaximum_ReachesTheApp_EvenWhenEveryCharacterIsPercentEncoded()
    {
        var filter = Filter(ScimFilterParser.MaxLength);
        Assert.Equal(ScimFilterParser.MaxLength, filter.Length);
        var url = "Users?filter=" + Uri.EscapeDataString(filter);
        Assert.True(url.Length > 24_000, "three times Kestrel's default 8 KB request line");

        var list = await client.GetAsync(url, Ct).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.Total());
    }

    [Fact]
    public async Task FilterOneCharacterOverTheMaximum_IsAScim400InvalidFilter_NotABare414()
    {
        var url = "Users?filter=" + Uri.EscapeDataString(Filter(ScimFilterParser.MaxLength + 1));

        var detail = await client.GetAsync(url, Ct).ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
        Assert.Contains("8192", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LargeHeaders_UpToTheRaisedLimit_ReachTheApp()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "ServiceProviderConfig");
        // Some IdPs' gateways add long tracing headers; 40 KB is past Kestrel's default 32 KB in total.
        request.Headers.Add("X-Trace-Context", new string('t', 40 * 1024));
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("Users")]
    [InlineData("ServiceProviderConfig")]
    [InlineData("ResourceTypes")]
    [InlineData("ResourceTypes/User")]
    [InlineData("Schemas")]
    [InlineData("Schemas/urn:ietf:params:scim:schemas:core:2.0:User")]
    public async Task Head_AnswersAsGetWithoutABody(string path)
    {
        using var get = await client.GetAsync(path, Ct);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), Ct);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task HeadOfAUser_HasItsETag_AndOfAMissingUserIs404WithoutABody()
    {
        var created = await client.CreateUserAsync(ScimHttp.UniqueName());
        using var get = await client.GetAsync("Users/" + created.Id(), Ct);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "Users/" + created.Id()), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));

        using var missing = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "Users/" + Guid.NewGuid()), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Empty(await missing.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task MethodNotAllowed_ListsHead()
    {
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "ServiceProviderConfig"), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.Order());
    }
}
