using System.Net;
using System.Text.RegularExpressions;
using Catalytic.Admin.Data;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>
/// The real app in process, on a fresh SQLite file of its own, with a clock the test controls.
/// Create one per test class (IClassFixture) or per test; nothing is shared between factories.
/// </summary>
public partial class AppFactory : WebApplicationFactory<Program>
{
    public const string AdminPassword = "correct-horse-battery";

    private readonly string folder = Directory.CreateTempSubdirectory("catalytic-tests-").FullName;
    private readonly Dictionary<string, string?> settings = new(StringComparer.OrdinalIgnoreCase);
    private string environment = "Testing";

    public TestClock Clock { get; } = new();

    /// <summary>Every line the app logged, at every level.</summary>
    public LogSink Logs { get; } = new();

    public string DatabasePath => Path.Combine(folder, "admin.db");

    /// <summary>Extra configuration, set before the first request or service lookup.</summary>
    public AppFactory WithSetting(string key, string? value)
    {
        settings[key] = value;
        return this;
    }

    /// <summary>Runs the app as Production or Development instead of Testing, set before it starts.</summary>
    public AppFactory WithEnvironment(string name)
    {
        environment = name;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Catalytic:Database:Provider", "Sqlite");
        builder.UseSetting("Catalytic:Database:ConnectionString", $"Data Source={DatabasePath}");
        builder.UseSetting("Catalytic:PublicBaseUrl", "");
        // Tests drive one token far harder than an IdP does; ScimThrottlingTests set the per-token limit they test.
        builder.UseSetting("Catalytic:Scim:RateLimit:PermitsPerSecond", "0");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Catalytic.Admin.Teams.FirstRunSetup", "Error");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.DataProtection", "Error");
        // The test identity provider listens on 127.0.0.1; the tests that prove the refusal set this to false.
        builder.UseSetting(SsoHttp.AllowPrivateNetworkIssuersKey, "true");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<LogSink>(null, LogLevel.Debug));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            // An open Blazor circuit (a browser test) would otherwise hold shutdown for 30 s.
            services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        });
    }

    /// <summary>
    /// Serves the app on a real loopback port (for a browser) instead of the in-memory test server, and returns
    /// its base URL, e.g. http://127.0.0.1:40123. Call before anything else touches the factory.
    /// </summary>
    public string StartKestrel()
    {
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        return addresses.Addresses.First().TrimEnd('/');
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<AdminDbContext> DbAsync() => await Get<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();

    /// <summary>A team with a local admin named "admin" + slug, through the same service as /setup.</summary>
    public async Task<TestTeam> CreateTeamAsync(string slug = "acme")
    {
        var adminName = "admin" + slug.Replace("-", "", StringComparison.Ordinal);
        var (team, errors) = await Get<TeamService>().CreateAsync(new TeamSetup(slug, $"Team {slug}", adminName, AdminPassword), onlyIfNoTeam: false);
        Assert.True(team is not null, string.Join("; ", errors.Values));
        return new TestTeam(team.Id, team.Slug, adminName);
    }

    /// <summary>
    /// Marks the team's SSO as verified without an identity provider, for tests about SCIM rather than SSO,
    /// then turns SCIM on through the token service and returns the first token.
    /// </summary>
    public async Task<string> EnableScimAsync(TestTeam team)
    {
        await using (var db = await DbAsync())
        {
            if (!await db.SsoConnections.AnyAsync(c => c.TeamId == team.Id))
            {
                db.SsoConnections.Add(new SsoConnection
                {
                    TeamId = team.Id,
                    Issuer = "https://idp.example.test",
                    ClientId = "catalytic",
                    VerifiedAt = Clock.GetUtcNow().UtcDateTime,
                    UpdatedAt = Clock.GetUtcNow().UtcDateTime,
                });
                await db.SaveChangesAsync();
            }
        }

        var (token, error) = await Get<ScimTokenService>().EnableAsync(team.Id);
        Assert.Null(error);
        return token ?? (await Get<ScimTokenService>().RevealCurrentAsync(team.Id))!;
    }

    /// <summary>An HTTP client for the team's SCIM endpoint, with the bearer token set.</summary>
    public HttpClient CreateScimClient(TestTeam team, string token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.BaseAddress = new Uri(client.BaseAddress!, $"/scim/v2/{team.Slug}/");
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A browser-like client signed in through the real local sign-in form.</summary>
    public async Task<HttpClient> SignInAsync(TestTeam team, string? userName = null, string password = AdminPassword)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await PostLoginAsync(client, team.Slug, userName ?? team.AdminUserName, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string teamSlug, string userName, string password)
    {
        var page = await client.GetStringAsync($"/login?team={teamSlug}");
        return await client.PostAsync($"/login?team={teamSlug}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AntiforgeryToken(page),
            ["Input.Team"] = teamSlug,
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The antiforgery token of the first form on a server-rendered page.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = AntiforgeryPattern().Match(html);
        Assert.True(match.Success, "The page has no antiforgery token.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow shutdown; the OS temp folder is cleaned anyway.
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryPattern();
}

public sealed record TestTeam(Guid Id, string Slug, string AdminUserName);
