using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider (OpenIddict) on Kestrel at 127.0.0.1, over plain HTTP, for the whole test run.
/// Authorization code + PKCE; its sign-in page asks only for a user name (and optional claim overrides), so a
/// test drives it with an HttpClient (<see cref="SignInAsync"/>) or a browser types into it.
/// Each test registers its own client, so tests never see each other's configuration.
/// </summary>
public sealed class TestIdentityProvider : IAsyncLifetime
{
    public const string UserNameField = "username";
    public const string EmailField = "email";

    /// <summary>Form fields named <c>claim.X</c> set claim X; an empty value leaves the claim out.</summary>
    public const string ClaimFieldPrefix = "claim.";

    /// <summary>
    /// A claim named <c>userinfo:X</c> is sent as X by the user info endpoint only, never in the ID token (replacing
    /// X there if both are set), as providers do that keep the ID token small.
    /// </summary>
    public const string UserInfoOnlyPrefix = "userinfo:";

    private static readonly HashSet<string> TokenMechanicsClaims =
        [Claims.Audience, Claims.ExpiresAt, Claims.IssuedAt, Claims.Issuer, Claims.NotBefore, Claims.JwtId, Claims.Scope, Claims.ClientId, Claims.AuthorizedParty];

    private readonly string folder = Directory.CreateTempSubdirectory("catalytic-idp-").FullName;
    private WebApplication? app;
    private string? baseUrl;

    /// <summary>The issuer to type into the SSO settings, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string Issuer => baseUrl ?? throw new InvalidOperationException("The test identity provider is not started.");

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));

        builder.Services.AddDbContext<IdpDbContext>(db =>
        {
            db.UseSqlite($"Data Source={Path.Combine(folder, "idp.db")}");
            db.UseOpenIddict();
        });

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdpDbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                server.UseAspNetCore()
                    .DisableTransportSecurityRequirement()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough();
            });

        // The issuer is fixed to the loopback address (as a real provider's is), so asking for it under another
        // host name yields a genuine issuer mismatch. The port is known only once Kestrel has started, and the
        // server options are first read on the first request, after that.
        builder.Services.AddOptions<OpenIddictServerOptions>().Configure(o => o.Issuer = new Uri(Issuer + "/"));

        app = builder.Build();
        app.UseAuthentication();
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync);
        app.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], (Delegate)UserInfoAsync);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IdpDbContext>().Database.EnsureCreatedAsync();
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        baseUrl = address.TrimEnd('/');

        // The first discovery and key requests are slow (the server pipeline warms up): pay that once, here.
        using var client = new HttpClient();
        (await client.GetAsync(new Uri(Issuer + "/.well-known/openid-configuration"))).EnsureSuccessStatusCode();
        (await client.GetAsync(new Uri(Issuer + "/.well-known/jwks"))).EnsureSuccessStatusCode();
    }

    /// <summary>Registers a confidential client that may use the code flow with PKCE and redirect to <paramref name="redirectUri"/>.</summary>
    public async Task<TestIdpClient> RegisterClientAsync(string redirectUri, string? clientId = null)
    {
        var client = new TestIdpClient(
            clientId ?? "catalytic-" + Guid.NewGuid().ToString("N")[..12],
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            redirectUri);

        await using var scope = app!.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await manager.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = client.ClientSecret,
            ClientType = ClientTypes.Confidential,
            RedirectUris = { new Uri(redirectUri) },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Email,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
        return client;
    }

    /// <summary>
    /// Does what a person does at the provider: opens the authorization URL (the sign-in page), submits the
    /// user name, and returns where the provider sends the browser back to (the app's callback with the code).
    /// </summary>
    public async Task<Uri> SignInAsync(Uri authorizationUrl, string userName, IReadOnlyDictionary<string, string>? claims = null, CancellationToken ct = default)
    {
        Assert.StartsWith(Issuer, authorizationUrl.ToString(), StringComparison.Ordinal);
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

        var page = await client.GetAsync(authorizationUrl, ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"The provider refused the authorization request: {(int)page.StatusCode} {html}");
        Assert.Contains($"name=\"{UserNameField}\"", html, StringComparison.Ordinal);

        // The page posts the authorization request back with the user name, as the form below does.
        var fields = System.Web.HttpUtility.ParseQueryString(authorizationUrl.Query);
        var form = fields.AllKeys.Where(k => k is not null).Select(k => KeyValuePair.Create(k!, fields[k]!)).ToList();
        form.Add(KeyValuePair.Create(UserNameField, userName));
        foreach (var (name, value) in claims ?? new Dictionary<string, string>())
        {
            form.Add(KeyValuePair.Create(ClaimFieldPrefix + name, value));
        }

        using var content = new FormUrlEncodedContent(form);
        var response = await client.PostAsync(new Uri(Issuer + "/connect/authorize"), content, ct);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"The provider did not redirect back: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return response.Headers.Location!;
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var userName = form?[UserNameField].ToString();
        if (string.IsNullOrWhiteSpace(userName))
        {
            // No session at this provider: every authorization request shows the sign-in page (so prompt=login holds).
            return Results.Content(SignInPage(request), "text/html; charset=utf-8");
        }

        var claims = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Claims.Subject] = userName,
            [Claims.PreferredUsername] = userName,
            [Claims.Name] = userName,
            [Claims.Email] = string.IsNullOrWhiteSpace(form![EmailField]) ? $"{userName}@idp.test" : form[EmailField].ToString(),
        };
        foreach (var (key, value) in form!.Where(f => f.Key.StartsWith(ClaimFieldPrefix, StringComparison.Ordinal)))
        {
            claims[key[ClaimFieldPrefix.Length..]] = value.ToString();
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        foreach (var (type, value) in claims.Where(c => c.Value.Length > 0))
        {
            identity.AddClaim(new Claim(type, value));
        }

        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(c => c.Type.StartsWith(UserInfoOnlyPrefix, StringComparison.Ordinal)
            ? [Destinations.AccessToken]
            : [Destinations.AccessToken, Destinations.IdentityToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> UserInfoAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is null)
        {
            return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var claims = result.Principal.Claims
            .Where(c => !c.Type.StartsWith("oi_", StringComparison.Ordinal) && !TokenMechanicsClaims.Contains(c.Type))
            .GroupBy(c => c.Type)
            .ToDictionary(g => g.Key, g => g.First().Value);
        foreach (var type in claims.Keys.Where(k => k.StartsWith(UserInfoOnlyPrefix, StringComparison.Ordinal)).ToList())
        {
            claims[type[UserInfoOnlyPrefix.Length..]] = claims[type];
            claims.Remove(type);
        }

        return Results.Json(claims);
    }

    private static string SignInPage(OpenIddictRequest request)
    {
        var html = HtmlEncoder.Default;
        var hidden = new StringBuilder();
        foreach (var (name, value) in request.GetParameters())
        {
            hidden.Append($"<input type=\"hidden\" name=\"{html.Encode(name)}\" value=\"{html.Encode(value.ToString() ?? "")}\" />");
        }

        return $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8" /><title>Test identity provider</title></head>
            <body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
              <h1>Test identity provider</h1>
              <p>Signing in to <b>{html.Encode(request.ClientId ?? "")}</b>.</p>
              <form method="post" action="/connect/authorize">
                {hidden}
                <p><label>User name <input name="{UserNameField}" id="{UserNameField}" autofocus /></label></p>
                <p><label>Email (optional) <input name="{EmailField}" id="{EmailField}" /></label></p>
                <button type="submit" id="sign-in">Sign in</button>
              </form>
            </body></html>
            """;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans its temp folder anyway.
        }
    }

    private sealed class IdpDbContext(DbContextOptions<IdpDbContext> options) : DbContext(options);
}

public sealed record TestIdpClient(string ClientId, string ClientSecret, string RedirectUri);
