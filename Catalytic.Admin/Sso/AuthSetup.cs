using System.Security.Claims;
using System.Threading.RateLimiting;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Sso;

/// <summary>Cookie sessions, the per-team OIDC schemes, the admin policy and sign-in throttling.</summary>
public static class AuthSetup
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string AdminPolicy = "TeamAdmin";
    public const string TeamIdClaim = "catalytic:team";
    public const string TeamSlugClaim = "catalytic:team_slug";
    public const string MethodClaim = "catalytic:method";
    public const string SessionIdClaim = "catalytic:sid";
    public const string SsoMethod = "sso";
    public const string PasswordMethod = "password";
    public const string AdminRole = "admin";

    public static IServiceCollection AddAppAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<IAuthenticationSchemeProvider, TeamOidcSchemeProvider>();
        services.AddSingleton<TeamOidcEvents>();
        services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<OpenIdConnectOptions>, TeamOidcOptionsSetup>();
        // AddOpenIdConnect() is never called for the per-team schemes, so register the framework's own
        // post-configuration (data protection of state and nonce, metadata manager, backchannel) by hand.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());

        services.AddAuthentication(CookieScheme)
            .AddCookie(CookieScheme, options =>
            {
                options.LoginPath = "/login";
                options.LogoutPath = "/logout";
                options.AccessDeniedPath = "/access-denied";
                options.Cookie.Name = "catalytic.session";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.ExpireTimeSpan = UserSessions.Lifetime;
                options.SlidingExpiration = true;
                options.Events.OnSigningIn = StartSessionAsync;
                options.Events.OnValidatePrincipal = ValidateSessionAsync;
            });

        // Behind a TLS-terminating proxy the app may see plain http: an https public address decides, not the request.
        // The antiforgery cookie cannot be set to Always itself (antiforgery then refuses every http request), so the
        // cookie policy (UseCookiePolicy) marks it, and every other cookie, Secure.
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme)
            .Configure<IOptions<AppOptions>>((options, app) =>
                options.Cookie.SecurePolicy = IsPublicAddressHttps(app.Value) ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest);
        services.AddOptions<CookiePolicyOptions>()
            .Configure<IOptions<AppOptions>>((options, app) =>
                options.Secure = IsPublicAddressHttps(app.Value) ? CookieSecurePolicy.Always : CookieSecurePolicy.None);

        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(AdminRole).RequireClaim(TeamIdClaim));
        services.AddCascadingAuthenticationState();

        // Slows down guessing of passwords and of the setup code: form posts to /login and /setup,
        // per client address. Page views are not limited.
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                HttpMethods.IsPost(context.Request.Method)
                && (context.Request.Path.StartsWithSegments("/login") || context.Request.Path.StartsWithSegments("/setup"))
                    ? RateLimitPartition.GetTokenBucketLimiter(
                        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new TokenBucketRateLimiterOptions
                        {
                            TokenLimit = 10,
                            TokensPerPeriod = 1,
                            ReplenishmentPeriod = TimeSpan.FromSeconds(6),
                            QueueLimit = 0,
                        })
                    : RateLimitPartition.GetNoLimiter("unlimited"));
            options.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                await context.HttpContext.Response.WriteAsync("Too many attempts. Wait a minute, then try again.", ct);
            };
        });
        return services;
    }

    /// <summary>Cookies are always Secure with an https public address; without one, as the request came (dotnet run on http).</summary>
    private static bool IsPublicAddressHttps(AppOptions app) => app.PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static ClaimsPrincipal CreatePrincipal(User user, string teamSlug, string method)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, user.UserName),
            new(TeamIdClaim, user.TeamId.ToString()),
            new(TeamSlugClaim, teamSlug),
            new(MethodClaim, method),
        };
        if (user.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static Guid? TeamId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(TeamIdClaim), out var id) ? id : null;

    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    public static Guid? SessionId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(SessionIdClaim), out var id) ? id : null;

    /// <summary>
    /// A session lasts only while its server-side row is open (not signed out, not revoked) and its account is
    /// active with its role unchanged: a deactivated, deleted or demoted user loses access on the next request.
    /// A cookie without a session id (issued before sessions were kept) is refused.
    /// </summary>
    public static async Task<bool> IsSessionStillValidAsync(
        ClaimsPrincipal principal, UserDirectory users, UserSessions sessions, bool touch, CancellationToken ct = default)
    {
        if (principal.TeamId() is not { } teamId || principal.UserId() is not { } userId || principal.SessionId() is not { } sessionId)
        {
            return false;
        }

        var user = await users.FindAsync(teamId, userId, ct);
        return user is { Active: true } && user.IsAdmin == principal.IsInRole(AdminRole)
            && await sessions.IsActiveAsync(teamId, userId, sessionId, touch, ct);
    }

    /// <summary>
    /// Every sign-in (SSO, password, first-run setup) passes here: it opens the server-side session and the
    /// cookie carries only its id, so signing out or an admin's revocation ends the cookie too.
    /// </summary>
    private static async Task StartSessionAsync(CookieSigningInContext context)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity
            || context.Principal.TeamId() is not { } teamId || context.Principal.UserId() is not { } userId)
        {
            return; // nothing to tie a session to: such a cookie is refused on its first use
        }

        var sessions = context.HttpContext.RequestServices.GetRequiredService<UserSessions>();
        var request = context.HttpContext.Request;
        var session = await sessions.StartAsync(
            teamId,
            userId,
            context.Principal.FindFirstValue(MethodClaim) ?? PasswordMethod,
            context.HttpContext.Connection.RemoteIpAddress?.ToString(),
            request.Headers.UserAgent.ToString(),
            context.HttpContext.RequestAborted);
        foreach (var stale in identity.FindAll(SessionIdClaim).ToList())
        {
            identity.RemoveClaim(stale);
        }

        identity.AddClaim(new Claim(SessionIdClaim, session.Id.ToString()));
    }

    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        if (context.Principal is null || !await IsSessionStillValidAsync(
                context.Principal, services.GetRequiredService<UserDirectory>(), services.GetRequiredService<UserSessions>(), touch: true, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
        }
    }
}
