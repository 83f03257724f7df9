using System.Security.Claims;
using System.Text.Encodings.Web;
using Catalytic.Admin.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Scim;

/// <summary>
/// Bearer authentication for <c>/scim/v2/{team}</c>: the token must belong to the team in the URL, be live,
/// and the team must have SCIM on. Failures are 401 with a SCIM error body, never a sign-in redirect.
/// </summary>
public sealed class ScimBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ScimTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ScimBearer";
    private ScimAuthFailure? failure;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var slug = Context.GetRouteValue("team") as string ?? "";
        var header = Request.Headers.Authorization.ToString();
        string? presented = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = header["Bearer ".Length..].Trim();
        }

        var result = await tokens.ValidateAsync(presented, slug, Context.RequestAborted);
        if (!result.Succeeded)
        {
            failure = result.Failure;
            // The reason only; the token itself is never logged.
            Logger.LogInformation("SCIM request for team {Team} refused: {Reason}", slug, result.Failure);
            return result.Failure == ScimAuthFailure.Missing ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(result.Failure.ToString()!);
        }

        var identity = new ClaimsIdentity(
            [new Claim(AuthSetup.TeamIdClaim, result.TeamId.ToString()), new Claim(AuthSetup.TeamSlugClaim, result.TeamSlug)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"SCIM\"";
        return new ScimErrorResult(StatusCodes.Status401Unauthorized, null, Describe(failure)).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        new ScimErrorResult(StatusCodes.Status403Forbidden, null, "This token may not use this SCIM endpoint.").ExecuteAsync(Context);

    public static string Describe(ScimAuthFailure? failure) => failure switch
    {
        null or ScimAuthFailure.Missing => "Authentication required: send the team's SCIM token as 'Authorization: Bearer <token>'.",
        ScimAuthFailure.Revoked => "This SCIM token was revoked. Copy the current token from Admin > SSO Settings > View SCIM Token and URL into your identity provider.",
        ScimAuthFailure.Expired => "This SCIM token's grace period has ended after it was regenerated. Copy the current token from Admin > SSO Settings > View SCIM Token and URL into your identity provider.",
        ScimAuthFailure.Disabled => "SCIM provisioning is turned off for this team. An admin can turn on 'Connect to SCIM' in Admin > SSO Settings.",
        _ => "The bearer token is not valid for this SCIM endpoint. Check that the SCIM connector base URL and the token were both copied from this team's Admin > SSO Settings.",
    };
}
