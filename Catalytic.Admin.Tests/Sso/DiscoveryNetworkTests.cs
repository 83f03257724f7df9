using System.Net;
using System.Text;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>
/// "Save and verify" and the OIDC back channel fetch only what an identity provider should serve: no private
/// network unless allowed, no redirects, and no answer that tells an open port from a closed one.
/// </summary>
public sealed class DiscoveryNetworkTests(AppFactory app, TestIdentityProvider idp, LoopbackSite site)
    : IClassFixture<AppFactory>, IClassFixture<LoopbackSite>, IAsyncLifetime
{
    private TestTeam team = null!;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync("t" + Guid.NewGuid().ToString("N")[..10]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Save_WithLoopbackIssuer_WhenPrivateNetworksAreNotAllowed_IsRefused_AndSavesNothing()
    {
        await using var strict = new AppFactory().WithSetting(SsoHttp.AllowPrivateNetworkIssuersKey, "false");
        var acme = await strict.CreateTeamAsync();
        var client = await idp.RegisterClientAsync("https://localhost/signin-oidc/" + acme.Slug);

        var errors = await strict.Get<SsoConnectionService>().SaveAsync(acme.Id, new SsoConnectionInput { Issuer = idp.Issuer, ClientId = client.ClientId, ClientSecret = client.ClientSecret }, Ct);

        Assert.StartsWith($"Could not fetch the discovery document from {idp.Issuer}: private and loopback network addresses are not allowed", errors["issuer"], StringComparison.Ordinal);
        Assert.Contains(SsoHttp.AllowPrivateNetworkIssuersKey, errors["issuer"], StringComparison.Ordinal);
        Assert.Null(await strict.Get<SsoConnectionService>().GetAsync(acme.Id, Ct));
    }

    [Fact]
    public async Task Save_WithLoopbackIssuer_WhenPrivateNetworksAreAllowed_Verifies()
    {
        var client = await idp.RegisterClientAsync("https://localhost/signin-oidc/" + team.Slug);

        Assert.Empty(await SaveAsync(idp.Issuer, client.ClientId, client.ClientSecret));
    }

    [Fact]
    public async Task SignIn_WithASavedLoopbackIssuer_WhenPrivateNetworksAreNotAllowed_NeverReachesTheProvider()
    {
        // Saved while allowed (or before the upgrade); the handler's back channel must refuse it as well.
        await using var strict = new AppFactory().WithSetting(SsoHttp.AllowPrivateNetworkIssuersKey, "false");
        var acme = await strict.CreateTeamAsync();
        await using (var db = await strict.DbAsync())
        {
            db.SsoConnections.Add(new SsoConnection { TeamId = acme.Id, Issuer = idp.Issuer, ClientId = "catalytic", VerifiedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(Ct);
        }

        using var browser = strict.CreateBrowserClient();
        HttpResponseMessage? response = null;
        var failure = await Record.ExceptionAsync(async () => response = await browser.GetAsync($"/login/sso/{acme.Slug}", Ct));

        // The in-memory test server hands the app's exception to the caller; either way nobody is sent to the provider.
        Assert.True(failure is not null || response!.StatusCode != HttpStatusCode.Redirect, "The sign-in was sent to the provider.");
        Assert.Contains(strict.Logs.Lines, l => l.Contains(nameof(PrivateNetworkAddressException), StringComparison.Ordinal)
            || l.Contains(SsoHttp.AllowPrivateNetworkIssuersKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Save_WhenTheIssuerRedirects_DoesNotFollow_AndFailsLikeAnUnreachableIssuer()
    {
        // The redirect leads to a document that would verify: following it would save the connection.
        var issuer = site.Url + "/redirect";

        var errors = await SaveAsync(issuer, "catalytic", "secret");

        Assert.Equal(Unreachable(issuer), errors["issuer"]);
        Assert.Null(await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct));
    }

    [Fact]
    public async Task Save_WithClosedPort_AndWithOpenPortsThatAreNotOidc_GivesTheSameAnswer()
    {
        var issuers = new[] { "http://127.0.0.1:1", site.Url + "/plain", site.Url + "/missing", site.Url + "/json", site.Url + "/redirect" };

        var answers = new List<string>();
        foreach (var issuer in issuers)
        {
            answers.Add((await SaveAsync(issuer, "catalytic", "secret"))["issuer"].Replace(issuer, "{issuer}", StringComparison.Ordinal));
        }

        Assert.Single(answers.Distinct());
        Assert.Equal(Unreachable("{issuer}"), answers[0]);
    }

    [Fact]
    public async Task Save_WhenTheDocumentNamesAPrivateEndpoint_IsRefused()
    {
        // A public issuer (a documentation address) whose document sends the token call into the private network.
        await using var stubbed = new StubbedDiscoveryApp(Document(token: "https://10.20.30.40/token"));
        stubbed.WithSetting(SsoHttp.AllowPrivateNetworkIssuersKey, "false");
        var acme = await stubbed.CreateTeamAsync();

        var errors = await stubbed.Get<SsoConnectionService>().SaveAsync(acme.Id, new SsoConnectionInput { Issuer = StubIssuer, ClientId = "c", ClientSecret = "s" }, Ct);

        Assert.StartsWith("The discovery document names 'token_endpoint' on a private or loopback network address", errors["issuer"], StringComparison.Ordinal);
        Assert.Null(await stubbed.Get<SsoConnectionService>().GetAsync(acme.Id, Ct));
    }

    [Theory]
    [InlineData("jwks_uri", "http://127.0.0.1:8080/keys")]
    [InlineData("userinfo_endpoint", "https://[::ffff:192.168.1.10]/userinfo")]
    [InlineData("end_session_endpoint", "https://169.254.169.254/logout")]
    [InlineData("authorization_endpoint", "https://[fd00::1]/authorize")]
    public async Task Save_WhenTheDocumentNamesAnyOtherPrivateEndpoint_IsRefused(string name, string url)
    {
        await using var stubbed = new StubbedDiscoveryApp(Document(extra: (name, url)));
        stubbed.WithSetting(SsoHttp.AllowPrivateNetworkIssuersKey, "false");
        var acme = await stubbed.CreateTeamAsync();

        var errors = await stubbed.Get<SsoConnectionService>().SaveAsync(acme.Id, new SsoConnectionInput { Issuer = StubIssuer, ClientId = "c", ClientSecret = "s" }, Ct);

        Assert.StartsWith($"The discovery document names '{name}' on a private", errors["issuer"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WhenEveryEndpointIsPublic_Verifies()
    {
        await using var stubbed = new StubbedDiscoveryApp(Document());
        stubbed.WithSetting(SsoHttp.AllowPrivateNetworkIssuersKey, "false");
        var acme = await stubbed.CreateTeamAsync();

        var errors = await stubbed.Get<SsoConnectionService>().SaveAsync(acme.Id, new SsoConnectionInput { Issuer = StubIssuer, ClientId = "c", ClientSecret = "s" }, Ct);

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.0.9", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.254", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("172.15.255.255", false)]
    [InlineData("192.168.0.1", true)]
    [InlineData("192.169.0.1", false)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.127.255.255", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("100.63.255.255", false)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("203.0.113.10", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("febf::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("fdff:ffff::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:10.1.2.3", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("::127.0.0.1", true)]
    [InlineData("64:ff9b::192.168.1.1", true)]
    [InlineData("64:ff9b::8.8.8.8", false)]
    [InlineData("2001:4860:4860::8888", false)]
    [InlineData("2606:4700::1111", false)]
    public void IsPrivate_ClassifiesTheAddress(string address, bool isPrivate) =>
        Assert.Equal(isPrivate, SsoNetworkGuard.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Testing", null, false)]
    [InlineData("Development", "false", false)]
    [InlineData("Production", "true", true)]
    public void AllowsPrivateNetworks_DefaultsToDevelopmentOnly(string environment, string? setting, bool allowed)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [SsoHttp.AllowPrivateNetworkIssuersKey] = setting })
            .Build();

        Assert.Equal(allowed, SsoHttp.AllowsPrivateNetworks(configuration, new NamedEnvironment(environment)));
    }

    [Fact]
    public async Task Guard_RefusesAHostNameThatResolvesOnlyToLoopback()
    {
        var guard = new SsoNetworkGuard(allowPrivateNetworks: false);

        await Assert.ThrowsAsync<PrivateNetworkAddressException>(() => guard.ResolveAsync("localhost", Ct));
        Assert.NotEmpty(await new SsoNetworkGuard(allowPrivateNetworks: true).ResolveAsync("localhost", Ct));
    }

    private const string StubIssuer = "https://203.0.113.10";

    private static string Unreachable(string issuer) =>
        $"Could not fetch the discovery document from {issuer}: check the issuer URL, and that this server can reach the provider over the network.";

    private static string Document(string token = StubIssuer + "/token", (string Name, string Url)? extra = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["issuer"] = StubIssuer,
            ["authorization_endpoint"] = StubIssuer + "/authorize",
            ["token_endpoint"] = token,
            ["jwks_uri"] = StubIssuer + "/keys",
            ["userinfo_endpoint"] = StubIssuer + "/userinfo",
            ["end_session_endpoint"] = StubIssuer + "/logout",
        };
        if (extra is { } e)
        {
            fields[e.Name] = e.Url;
        }

        return System.Text.Json.JsonSerializer.Serialize(fields);
    }

    private Task<IReadOnlyDictionary<string, string>> SaveAsync(string issuer, string clientId, string secret) =>
        app.Get<SsoConnectionService>().SaveAsync(team.Id, new SsoConnectionInput { Issuer = issuer, ClientId = clientId, ClientSecret = secret }, Ct);

    /// <summary>
    /// The app with the verifier's transport replaced by one that serves <paramref name="document"/>: the only way
    /// to put a discovery document on a public address here. What is tested is the check of the document.
    /// </summary>
    private sealed class StubbedDiscoveryApp(string document) : AppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddHttpClient(DiscoveryVerifier.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => new DocumentHandler(document)));
        }
    }

    private sealed class DocumentHandler(string document) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.RequestUri!.AbsolutePath == "/.well-known/openid-configuration"
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(document, Encoding.UTF8, "application/json") }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
    }

    private sealed class NamedEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Catalytic.Admin";

        public string ContentRootPath { get; set; } = "";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}

/// <summary>
/// A small web server on 127.0.0.1 that is not an identity provider: plain text, 404, a JSON document with no
/// issuer, and a redirect to a document that would verify.
/// </summary>
public sealed class LoopbackSite : IAsyncLifetime
{
    private WebApplication? app;

    public string Url { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        app = builder.Build();
        app.MapGet("/plain/.well-known/openid-configuration", () => Results.Text("hello"));
        app.MapGet("/json/.well-known/openid-configuration", () => Results.Json(new { name = "not an identity provider" }));
        app.MapGet("/redirect/.well-known/openid-configuration", () => Results.Redirect("/target/.well-known/openid-configuration"));
        app.MapGet("/target/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, string>
        {
            ["issuer"] = Url + "/redirect",
            ["authorization_endpoint"] = Url + "/authorize",
            ["token_endpoint"] = Url + "/token",
            ["jwks_uri"] = Url + "/keys",
        }));
        await app.StartAsync();
        Url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }
}
