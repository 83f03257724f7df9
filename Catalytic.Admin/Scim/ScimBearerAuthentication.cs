using System.Security.Claims;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;

namespace Catalytic.Admin.Scim;

/// <summary>
/// Bearer authentication for <c>/scim/v2/{team}</c>: the token must belong to the team in the URL, be live,
/// and the team must have SCIM on. A refusal is a 401 with a SCIM error body, never a sign-in redirect; the
/// endpoint runs only for an accepted token, as that team. Refusals are only counted per team and source
/// (<see cref="ScimAuthFailureLog"/>), never written to the activity log, and throttled per source (a source past its
/// limit gets 429 instead of 401, so guessing is slowed; a valid token always passes); accepted tokens are
/// throttled per token (<see cref="ScimThrottle"/>).
/// </summary>
public sealed class ScimBearerAuthentication(
    RequestDelegate next,
    ScimTokenService tokens,
    ScimThrottle throttle,
    ScimAuthFailureLog refusals,
    TeamService teams,
    ILogger<ScimBearerAuthentication> logger)
{
    /// <summary>The authentication type of a SCIM caller's identity.</summary>
    public const string AuthenticationType = "ScimBearer";

    public const string SourceThrottledDetail =
        "Too many requests with a missing or invalid SCIM token came from this address, so requests from it without a valid token are refused for a while. "
        + "Copy the current token from Admin > SSO Settings > View SCIM Token and URL into your identity provider, then retry after the time given in Retry-After.";

    public async Task InvokeAsync(HttpContext context)
    {
        var slug = context.GetRouteValue("team") as string ?? "";
        var source = context.Connection.RemoteIpAddress;
        // The token first: a valid token is never refused for its address. IdPs provision from shared addresses, so
        // blocking an address would let anyone with a bogus token (or many addresses) lock real IdPs out.
        var result = await tokens.ValidateAsync(PresentedToken(context.Request), slug, context.RequestAborted);
        if (!result.Succeeded)
        {
            await CountRefusalAsync(slug, source, context.RequestAborted);
            if (throttle.IsSourceBlocked(source, out var blockedFor))
            {
                await TooManyRequests(context, blockedFor, SourceThrottledDetail);
                return;
            }

            throttle.Refused(source);
            // The reason only, at Debug (a stranger decides how often): the token itself is never logged.
            logger.LogDebug("SCIM request for team {Team} refused: {Reason}", ScimRequest.Shorten(slug), result.Failure);
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"SCIM\"";
            await new ScimErrorResult(StatusCodes.Status401Unauthorized, null, Describe(result.Failure)).ExecuteAsync(context);
            return;
        }

        // Signed in before the token's limit is checked: a throttled request is the team's own, recorded in its activity.
        context.User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(AuthSetup.TeamIdClaim, result.TeamId.ToString()), new Claim(AuthSetup.TeamSlugClaim, result.TeamSlug)],
            AuthenticationType));
        if (!throttle.TryAcquire(result.TokenId, out var wait))
        {
            await TooManyRequests(context, wait, TokenThrottledDetail(throttle.PermitsPerSecond));
            return;
        }

        await next(context);
    }

    public static string TokenThrottledDetail(double permitsPerSecond) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"This SCIM token sent more than {permitsPerSecond:0.###} requests per second, the limit of this service. Retry after the time given in Retry-After (Okta and Microsoft Entra ID do so by themselves); if it keeps happening, check that only one provisioning job uses this token.");

    /// <summary>Counted for the team named in the URL if it exists; a made-up team name leaves no trace.</summary>
    private async Task CountRefusalAsync(string slug, System.Net.IPAddress? source, CancellationToken ct)
    {
        if (slug.Length > 0 && await teams.FindBySlugAsync(slug, ct) is { } team)
        {
            refusals.Count(team.Id, ScimThrottle.DescribeSource(source));
        }
    }

    private static Task TooManyRequests(HttpContext context, TimeSpan wait, string detail)
    {
        context.Response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(1, wait.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ScimErrorResult(StatusCodes.Status429TooManyRequests, null, detail).ExecuteAsync(context);
    }

    private static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    public static string Describe(ScimAuthFailure? failure) => failure switch
    {
        null or ScimAuthFailure.Missing => "Authentication required: send the team's SCIM token as 'Authorization: Bearer <token>'.",
        ScimAuthFailure.Revoked => "This SCIM token was revoked. Copy the current token from Admin > SSO Settings > View SCIM Token and URL into your identity provider.",
        ScimAuthFailure.Expired => "This SCIM token's grace period has ended after it was regenerated. Copy the current token from Admin > SSO Settings > View SCIM Token and URL into your identity provider.",
        ScimAuthFailure.Disabled => "SCIM provisioning is turned off for this team. An admin can turn on 'Connect to SCIM' in Admin > SSO Settings.",
        _ => "The bearer token is not valid for this SCIM endpoint. Check that the SCIM connector base URL and the token were both copied from this team's Admin > SSO Settings.",
    };
}
