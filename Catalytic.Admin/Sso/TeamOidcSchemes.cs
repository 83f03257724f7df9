using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Sso;

/// <summary>
/// Each team signs in through its own OIDC scheme, created on demand from the saved connection.
/// The scheme name carries the connection's version, so a save takes effect on the next sign-in in every
/// app instance without a restart or a shared cache.
/// </summary>
public static class TeamOidcSchemes
{
    public const string Prefix = "oidc:";
    public const string CallbackPrefix = "/signin-oidc/";

    public static string SchemeName(SsoRuntimeConnection connection) => $"{Prefix}{connection.TeamId:N}:{connection.Version}";

    public static string CallbackPath(string teamSlug) => CallbackPrefix + teamSlug;

    public static bool TryParse(string name, out Guid teamId)
    {
        teamId = Guid.Empty;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = name[Prefix.Length..].Split(':');
        return parts.Length == 2 && Guid.TryParseExact(parts[0], "N", out teamId);
    }
}

/// <summary>Resolves the per-team OIDC schemes that are not registered up front.</summary>
public sealed class TeamOidcSchemeProvider(IOptions<AuthenticationOptions> options) : AuthenticationSchemeProvider(options)
{
    public override async Task<AuthenticationScheme?> GetSchemeAsync(string name) =>
        await base.GetSchemeAsync(name)
        ?? (TeamOidcSchemes.TryParse(name, out _) ? new AuthenticationScheme(name, "Single sign-on", typeof(OpenIdConnectHandler)) : null);
}

/// <summary>Builds the OIDC options of a team's scheme from its saved connection.</summary>
public sealed class TeamOidcOptionsSetup(SsoConnectionService connections, TeamOidcEvents events, IHttpClientFactory httpClients) : IConfigureNamedOptions<OpenIdConnectOptions>
{
    public void Configure(OpenIdConnectOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (name is null || !TeamOidcSchemes.TryParse(name, out var teamId))
        {
            return;
        }

        var connection = connections.GetRuntimeConnection(teamId);
        if (connection is null)
        {
            // The handler validates its options on every request; these keep it valid and lead nowhere.
            options.Authority = "https://sso-not-configured.invalid";
            options.ClientId = "sso-not-configured";
            return;
        }

        options.Authority = connection.Issuer;
        options.RequireHttpsMetadata = !DiscoveryVerifier.IsLoopback(new Uri(connection.Issuer));
        // Discovery, keys, token and user info go through the same network guard as "Save and verify".
        options.Backchannel = httpClients.CreateClient(DiscoveryVerifier.HttpClientName);
        options.ClientId = connection.ClientId;
        options.ClientSecret = connection.ClientSecret;
        options.ResponseType = "code";
        options.UsePkce = true;
        // A GET callback carries the SameSite=Lax session cookie, unlike a cross-site form post.
        options.ResponseMode = "query";
        options.MapInboundClaims = false;
        options.SaveTokens = false;
        options.GetClaimsFromUserInfoEndpoint = true;
        // The handler copies only the user info keys its claim actions name; a provider may send the member's
        // identifier there alone. (Its sub must equal the ID token's: the handler refuses the sign-in otherwise.)
        options.ClaimActions.MapUniqueJsonKey(connection.UniqueIdClaim, connection.UniqueIdClaim);
        options.CallbackPath = TeamOidcSchemes.CallbackPath(connection.TeamSlug);
        options.SignInScheme = AuthSetup.CookieScheme;
        options.Scope.Clear();
        foreach (var scope in connection.Scopes)
        {
            options.Scope.Add(scope);
        }

        options.Events = events.For(connection);
    }
}

/// <summary>
/// Handles the callback paths of the per-team schemes, which the authentication middleware does not know.
/// </summary>
public sealed class TeamOidcCallbackMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, SsoConnectionService connections, IAuthenticationHandlerProvider handlers)
    {
        var path = context.Request.Path.Value ?? "";
        if (path.StartsWith(TeamOidcSchemes.CallbackPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var slug = path[TeamOidcSchemes.CallbackPrefix.Length..].Trim('/');
            var connection = await connections.GetRuntimeConnectionAsync(slug, context.RequestAborted);
            if (connection is not null
                && await handlers.GetHandlerAsync(context, TeamOidcSchemes.SchemeName(connection)) is IAuthenticationRequestHandler handler
                && await handler.HandleRequestAsync())
            {
                return;
            }
        }

        await next(context);
    }
}
