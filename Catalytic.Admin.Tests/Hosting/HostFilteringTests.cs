using System.Net;
using System.Text.Json;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Tests.Scim;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.WebUtilities;

namespace Catalytic.Admin.Tests.Hosting;

/// <summary>
/// Which host the app believes it serves: the SCIM meta.location and the OIDC redirect_uri come from it (or from
/// PublicBaseUrl), so a spoofed Host or X-Forwarded-Host must not change them.
/// </summary>
public sealed class HostFilteringTests(TestIdentityProvider idp)
{
    // Addresses from the documentation range (RFC 5737): a client that is no proxy of ours. No packet is sent.
    private static readonly IPAddress Stranger = IPAddress.Parse("203.0.113.7");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ScimLocation_IgnoresXForwardedHost_FromAnUntrustedAddress()
    {
        await using var app = new AppFactory();
        var (team, token, userId) = await ScimUserAsync(app);

        var context = await SendAsync(app, Stranger, "localhost", $"/scim/v2/{team.Slug}/Users/{userId}", token, forwardedHost: "evil.example");

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal($"http://localhost/scim/v2/{team.Slug}/Users/{userId}", await MetaLocationAsync(context));
    }

    [Fact]
    public async Task OidcRedirectUri_IgnoresXForwardedHost_FromAnUntrustedAddress()
    {
        await using var app = new AppFactory();
        var team = await app.CreateTeamAsync("acme");
        await app.ConnectSsoAsync(team, idp, appBase: "http://localhost");

        var context = await SendAsync(app, Stranger, "localhost", $"/login/sso/{team.Slug}", forwardedHost: "evil.example");

        Assert.Equal(StatusCodes.Status302Found, context.Response.StatusCode);
        Assert.Equal($"http://localhost/signin-oidc/{team.Slug}", RedirectUri(context.Response.Headers.Location!));
    }

    [Fact]
    public async Task HostNotInAllowedHosts_Gets400_WithTheDefaultConfiguration()
    {
        await using var app = new AppFactory();
        var (team, token, userId) = await ScimUserAsync(app);

        var scim = await SendAsync(app, Stranger, "evil.example", $"/scim/v2/{team.Slug}/Users/{userId}", token);
        var page = await SendAsync(app, Stranger, "evil.example", "/login");

        Assert.Equal(StatusCodes.Status400BadRequest, scim.Response.StatusCode);
        Assert.Equal(StatusCodes.Status400BadRequest, page.Response.StatusCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:5080")]
    [InlineData("[::1]:5080")]
    public async Task LoopbackHosts_AreAllowedByTheDefaultConfiguration(string host)
    {
        await using var app = new AppFactory();

        var context = await SendAsync(app, IPAddress.Loopback, host, "/login");

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    [Fact]
    public async Task ForwardedHostFromAKnownProxy_IsTheHostChecked_NotTheProxysOwnHostHeader()
    {
        await using var app = new AppFactory().WithSetting("AllowedHosts", "admin.example.com");
        var (team, token, userId) = await ScimUserAsync(app, viaHost: "admin.example.com");

        var context = await SendAsync(app, IPAddress.Loopback, "backend:8080", $"/scim/v2/{team.Slug}/Users/{userId}", token, forwardedHost: "admin.example.com");

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal($"http://admin.example.com/scim/v2/{team.Slug}/Users/{userId}", await MetaLocationAsync(context));
    }

    [Fact]
    public async Task ForwardedHostFromAKnownProxy_NotInAllowedHosts_Gets400()
    {
        await using var app = new AppFactory().WithSetting("AllowedHosts", "admin.example.com");

        var context = await SendAsync(app, IPAddress.Loopback, "admin.example.com", "/login", forwardedHost: "evil.example");

        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
    }

    [Fact]
    public async Task PublicBaseUrl_AloneDecidesMetaLocationAndRedirectUri_AndItsHostIsAllowed()
    {
        await using var app = new AppFactory().WithSetting("Catalytic:PublicBaseUrl", "https://admin.example.com");
        var (team, token, userId) = await ScimUserAsync(app);
        await app.ConnectSsoAsync(team, idp, appBase: "https://admin.example.com");

        var fromLocalhost = await SendAsync(app, Stranger, "localhost", $"/scim/v2/{team.Slug}/Users/{userId}", token);
        var viaProxy = await SendAsync(app, IPAddress.Loopback, "admin.example.com", $"/scim/v2/{team.Slug}/Users/{userId}", token, forwardedHost: "localhost");
        var challenge = await SendAsync(app, IPAddress.Loopback, "localhost", $"/login/sso/{team.Slug}");

        Assert.Equal(StatusCodes.Status200OK, fromLocalhost.Response.StatusCode);
        Assert.Equal($"https://admin.example.com/scim/v2/{team.Slug}/Users/{userId}", await MetaLocationAsync(fromLocalhost));
        Assert.Equal($"https://admin.example.com/scim/v2/{team.Slug}/Users/{userId}", await MetaLocationAsync(viaProxy));
        Assert.Equal(StatusCodes.Status302Found, challenge.Response.StatusCode);
        Assert.Equal($"https://admin.example.com/signin-oidc/{team.Slug}", RedirectUri(challenge.Response.Headers.Location!));
        var direct = await SendAsync(app, Stranger, "admin.example.com", "/login");
        Assert.Equal(StatusCodes.Status200OK, direct.Response.StatusCode);
    }

    [Fact]
    public async Task Production_WithNeitherPublicBaseUrlNorAllowedHosts_LogsAWarning()
    {
        await using var app = new AppFactory().WithEnvironment("Production").WithSetting("AllowedHosts", "*");
        _ = app.Server;

        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Warning Catalytic.Admin.ReverseProxy: Neither Catalytic:PublicBaseUrl nor AllowedHosts", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("AllowedHosts", "admin.example.com")]
    [InlineData("Catalytic:PublicBaseUrl", "https://admin.example.com")]
    public async Task Production_WithEitherSet_LogsNoWarning(string key, string value)
    {
        await using var app = new AppFactory().WithEnvironment("Production").WithSetting("AllowedHosts", "*").WithSetting(key, value);
        _ = app.Server;

        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("Catalytic.Admin.ReverseProxy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Testing_WithNeitherSet_LogsNoWarning()
    {
        await using var app = new AppFactory().WithSetting("AllowedHosts", "*");
        _ = app.Server;

        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("Catalytic.Admin.ReverseProxy", StringComparison.Ordinal));
    }

    private static async Task<(TestTeam Team, string Token, string UserId)> ScimUserAsync(AppFactory app, string viaHost = "localhost")
    {
        var team = await app.CreateTeamAsync("acme");
        var token = await app.EnableScimAsync(team);
        using var client = app.CreateScimClient(team, token);
        client.DefaultRequestHeaders.Host = viaHost;
        var user = await client.CreateUserAsync(ScimHttp.UniqueName());
        return (team, token, user.GetProperty("id").GetString()!);
    }

    /// <summary>
    /// A request from <paramref name="remote"/>: the in-memory client has no address of its own, which the forwarded
    /// headers middleware treats as a trusted proxy.
    /// </summary>
    private static Task<HttpContext> SendAsync(AppFactory app, IPAddress remote, string host, string pathAndQuery, string? token = null, string? forwardedHost = null) =>
        app.Server.SendAsync(context =>
        {
            var uri = new Uri("http://placeholder" + pathAndQuery);
            context.Connection.RemoteIpAddress = remote;
            context.Request.Method = HttpMethods.Get;
            context.Request.Host = new HostString(host);
            context.Request.Path = uri.AbsolutePath;
            context.Request.QueryString = new QueryString(uri.Query);
            if (token is not null)
            {
                context.Request.Headers.Authorization = "Bearer " + token;
            }

            if (forwardedHost is not null)
            {
                context.Request.Headers["X-Forwarded-Host"] = forwardedHost;
            }
        }, Ct);

    private static async Task<string?> MetaLocationAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: Ct);
        return document.RootElement.GetProperty("meta").GetProperty("location").GetString();
    }

    private static string? RedirectUri(string location) => QueryHelpers.ParseQuery(new Uri(location).Query)["redirect_uri"];
}
