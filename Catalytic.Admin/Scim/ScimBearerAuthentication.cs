using System.Security.Claims;
using Catalytic.Admin.Sso;

namespace Catalytic.Admin.Scim;

/// <summary>
/// Bearer authentication for <c>/scim/v2/{team}</c>: the token must belong to the team in the URL, be live,
/// and the team must have SCIM on. A refusal is a 401 with a SCIM error body, never a sign-in redirect; the
/// endpoint runs only for an accepted token, as that team.
/// </summary>
public sealed class ScimBearerAuthentication(RequestDelegate next, ScimTokenService tokens, ILogger<ScimBearerAuthentication> logger)
{
    /// <summary>The authentication type of a SCIM caller's identity.</summary>
    public const string AuthenticationType = "ScimBearer";

    public async Task InvokeAsync(HttpContext context)
    {
        var slug = context.GetRouteValue("team") as string ?? "";
        var result = await tokens.ValidateAsync(PresentedToken(context.Request), slug, context.RequestAborted);
        if (!result.Succeeded)
        {
            // The reason only; the token itself is never logged.
            logger.LogInformation("SCIM request for team {Team} refused: {Reason}", slug, result.Failure);
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"SCIM\"";
            await new ScimErrorResult(StatusCodes.Status401Unauthorized, null, Describe(result.Failure)).ExecuteAsync(context);
            return;
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(AuthSetup.TeamIdClaim, result.TeamId.ToString()), new Claim(AuthSetup.TeamSlugClaim, result.TeamSlug)],
            AuthenticationType));
        await next(context);
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
