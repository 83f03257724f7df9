using Catalytic.Admin.Teams;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Catalytic.Admin.Sso;

/// <summary>Starting an SSO sign-in, the admin's test sign-in, and sign-out.</summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login/sso/{team}", StartSignInAsync);
        app.MapGet("/admin/sso/test-sign-in", StartTestSignIn).RequireAuthorization(AuthSetup.AdminPolicy);
        app.MapPost("/logout", SignOutAsync);
        return app;
    }

    public static async Task<IResult> StartSignInAsync(string team, string? returnUrl, SsoConnectionService connections, HttpContext context)
    {
        var connection = await connections.GetRuntimeConnectionAsync(team.ToLowerInvariant(), context.RequestAborted);
        if (connection is null)
        {
            return TypedResults.Redirect($"/login?team={Uri.EscapeDataString(team)}&error=sso-not-configured");
        }

        var properties = new AuthenticationProperties { RedirectUri = ReturnUrls.LocalOr(returnUrl) };
        return TypedResults.Challenge(properties, [TeamOidcSchemes.SchemeName(connection)]);
    }

    public static IResult StartTestSignIn(SsoConnectionService connections, HttpContext context)
    {
        var teamId = context.User.TeamId()!.Value;
        var connection = connections.GetRuntimeConnection(teamId);
        if (connection is null)
        {
            return TypedResults.Redirect("/admin/sso?test=failed&reason=" + Uri.EscapeDataString("Save and verify the SSO connection first."));
        }

        var properties = new AuthenticationProperties { RedirectUri = "/admin/sso" };
        properties.Items[TeamOidcEvents.TestSignInItem] = "1";
        // Ask the provider to show its sign-in page even if the admin has a session there.
        properties.Parameters["prompt"] = "login";
        return TypedResults.Challenge(properties, [TeamOidcSchemes.SchemeName(connection)]);
    }

    /// <summary>Antiforgery-protected: it binds a form, so the framework validates the token.</summary>
    public static async Task<IResult> SignOutAsync([FromForm] string? returnUrl, HttpContext context, TeamService teams, UserSessions sessions)
    {
        var slug = context.User.FindFirst(AuthSetup.TeamSlugClaim)?.Value;
        // Ended server-side first: a copy of the cookie must not outlive the sign-out.
        if (context.User.TeamId() is { } teamId && context.User.SessionId() is { } sessionId)
        {
            await sessions.RevokeAsync(teamId, sessionId, notifyPages: false, context.RequestAborted);
        }

        await context.SignOutAsync(AuthSetup.CookieScheme);
        var target = slug is null ? "/login" : $"/login?team={Uri.EscapeDataString(slug)}";
        return TypedResults.LocalRedirect(ReturnUrls.LocalOr(returnUrl, target));
    }
}
