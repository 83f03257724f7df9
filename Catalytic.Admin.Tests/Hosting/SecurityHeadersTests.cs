using System.Net;
using System.Text.RegularExpressions;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Catalytic.Admin.Tests.Hosting;

/// <summary>The security headers on pages, static files, sign-in endpoints and SCIM, and what they allow.</summary>
public sealed partial class SecurityHeadersTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;
    private string token = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        team = await app.CreateTeamAsync("acme");
        token = await app.EnableScimAsync(team);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task LoginPage_HasThePagePolicy_AndOnlyTheImportMapIsInline_WithTheResponsesNonce()
    {
        var response = await Client().GetAsync($"/login?team={team.Slug}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCommonHeaders(response);
        var directives = Directives(response);
        Assert.Equal("'self'", directives["default-src"]);
        Assert.Equal("'self' 'unsafe-inline'", directives["style-src"]);
        Assert.Equal("'self' data:", directives["img-src"]);
        Assert.Equal("'self' data:", directives["font-src"]);
        Assert.Equal("'self'", directives["connect-src"]);
        Assert.Equal("'none'", directives["object-src"]);
        Assert.Equal("'self'", directives["base-uri"]);
        Assert.Equal("'self'", directives["form-action"]);
        Assert.Equal("'none'", directives["frame-ancestors"]);
        var nonce = ScriptNonce(directives["script-src"]);

        var scripts = ScriptTag().Matches(await response.Content.ReadAsStringAsync(Ct)).Select(m => m.Value).ToList();
        Assert.Contains(scripts, s => s.Contains("src=\"_framework/blazor.web", StringComparison.Ordinal));
        var inline = Assert.Single(scripts, s => !s.Contains(" src=", StringComparison.Ordinal));
        Assert.Contains("type=\"importmap\"", inline, StringComparison.Ordinal);
        Assert.Contains($"nonce=\"{nonce}\"", inline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryPageResponse_HasANonceOfItsOwn()
    {
        using var client = Client();
        var first = ScriptNonce(Directives(await client.GetAsync("/login", Ct))["script-src"]);
        var second = ScriptNonce(Directives(await client.GetAsync("/login", Ct))["script-src"]);

        Assert.NotEqual(first, second);
        Assert.True(System.Buffers.Text.Base64Url.DecodeFromChars(first).Length >= 16, "A nonce needs at least 128 random bits.");
    }

    [Fact]
    public async Task NotFoundPage_RenderedByReExecution_KeepsTheHeadersAndTheNonce()
    {
        var response = await Client().GetAsync("/no-such-page", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertCommonHeaders(response);
        var nonce = ScriptNonce(Directives(response)["script-src"]);
        Assert.Contains($"nonce=\"{nonce}\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/favicon.png")]
    [InlineData("/_framework/blazor.web.js")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css")]
    public async Task StaticAsset_HasTheHeaders(string path)
    {
        var response = await Client().GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCommonHeaders(response);
        Assert.Equal("'self'", Directives(response)["default-src"]);
    }

    [Fact]
    public async Task SsoSignInEndpoint_Redirect_HasTheHeaders()
    {
        var response = await Client().GetAsync("/login/sso/no-such-team", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        AssertCommonHeaders(response);
        Assert.Equal("'self'", Directives(response)["form-action"]);
    }

    [Fact]
    public async Task LocalSignInPost_HasTheHeaders()
    {
        using var client = Client(handleCookies: true);
        var response = await AppFactory.PostLoginAsync(client, team.Slug, team.AdminUserName, AppFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        AssertCommonHeaders(response);
    }

    [Fact]
    public async Task ScimResponses_HaveTheApiPolicy_WhichAllowsNothingToLoad()
    {
        using var scim = app.CreateScimClient(team, token);
        var ok = await scim.GetAsync("ServiceProviderConfig", Ct);
        using var anonymous = app.CreateClient();
        var unauthorized = await anonymous.GetAsync($"/scim/v2/{team.Slug}/Users", Ct);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        foreach (var response in new[] { ok, unauthorized })
        {
            AssertCommonHeaders(response);
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", Policy(response));
        }
    }

    [Fact]
    public async Task Hsts_IsSentOverHttps()
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });
        var page = await client.GetAsync("/login", Ct);
        using var scim = app.CreateScimClient(team, token);
        scim.BaseAddress = new Uri($"https://localhost/scim/v2/{team.Slug}/");
        var scimResponse = await scim.GetAsync("ServiceProviderConfig", Ct);

        Assert.Equal("max-age=31536000", Assert.Single(page.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("max-age=31536000", Assert.Single(scimResponse.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public async Task Hsts_IsNotSentOverPlainHttp()
    {
        var response = await Client().GetAsync("/login", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Hsts_IsSentWhenAKnownProxySaysTheClientUsedHttps()
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/login");
        request.Headers.Add("X-Forwarded-Proto", "https");
        var response = await client.SendAsync(request, Ct);

        Assert.True(response.Headers.Contains("Strict-Transport-Security"), "The in-memory client is a trusted (address-less) proxy.");
    }

    [Fact]
    public async Task Hsts_IsNotSentInDevelopment()
    {
        await using var development = new AppFactory().WithEnvironment("Development");
        using var client = development.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });

        var response = await client.GetAsync("/login", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCommonHeaders(response);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Kestrel_SendsNoServerHeader()
    {
        await using var served = new AppFactory();
        var baseUrl = served.StartKestrel();
        using var http = new HttpClient();

        var response = await http.GetAsync($"{baseUrl}/login", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Headers.Server);
        Assert.False(response.Headers.Contains("Server"));
    }

    private HttpClient Client(bool handleCookies = false) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = handleCookies });

    private static void AssertCommonHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("strict-origin-when-cross-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.False(string.IsNullOrEmpty(Policy(response)));
    }

    private static string Policy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Content-Security-Policy", out var values) ? Assert.Single(values) : "";

    private static Dictionary<string, string> Directives(HttpResponseMessage response) =>
        Policy(response).Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    /// <summary>script-src must be 'self' and a nonce, never 'unsafe-inline' or 'unsafe-eval'.</summary>
    private static string ScriptNonce(string scriptSrc)
    {
        var match = ScriptSrcPattern().Match(scriptSrc);
        Assert.True(match.Success, $"script-src is \"{scriptSrc}\"");
        return match.Groups[1].Value;
    }

    [GeneratedRegex("^'self' 'nonce-([A-Za-z0-9_-]+)'$")]
    private static partial Regex ScriptSrcPattern();

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();
}
