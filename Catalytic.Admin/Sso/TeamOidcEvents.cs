using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace Catalytic.Admin.Sso;

/// <summary>
/// What happens when a team's IdP sends someone back: a test sign-in is recorded, a member is matched to a
/// provisioned account (see <see cref="UserDirectory.SignInWithSsoAsync"/>), anyone else is turned away with an explanation.
/// </summary>
public sealed class TeamOidcEvents(IServiceScopeFactory scopes, PublicUrls urls, ILogger<TeamOidcEvents> logger)
{
    public const string TestSignInItem = "catalytic.test-sign-in";

    private const string SubjectClaim = "sub";

    public OpenIdConnectEvents For(SsoRuntimeConnection connection) => new()
    {
        // The handler would build it from the request's host; PublicBaseUrl, when set, is the only address IdPs know.
        // The handler keeps this value for the code redemption too.
        OnRedirectToIdentityProvider = context =>
        {
            var request = context.Request;
            context.ProtocolMessage.RedirectUri = urls.OidcRedirectUri(connection.TeamSlug, $"{request.Scheme}://{request.Host}{request.PathBase}");
            return Task.CompletedTask;
        },
        OnTicketReceived = context => OnTicketReceivedAsync(context, connection),
        OnRemoteFailure = context =>
        {
            logger.LogWarning("SSO sign-in for team {Team} failed: {Reason}", connection.TeamSlug, context.Failure?.Message);
            var isTest = context.Properties?.Items.ContainsKey(TestSignInItem) == true;
            context.Response.Redirect(isTest
                ? "/admin/sso?test=failed&reason=" + Uri.EscapeDataString(context.Failure?.Message ?? "unknown error")
                : $"/login?team={Uri.EscapeDataString(connection.TeamSlug)}&error=sso-failed");
            context.HandleResponse();
            return Task.CompletedTask;
        },
    };

    private async Task OnTicketReceivedAsync(TicketReceivedContext context, SsoRuntimeConnection connection)
    {
        var identifier = context.Principal?.FindFirst(connection.UniqueIdClaim)?.Value;
        await using var scope = scopes.CreateAsyncScope();

        if (context.Properties?.Items.ContainsKey(TestSignInItem) == true)
        {
            // A test proves the round trip; it never replaces the admin's own session.
            if (identifier is null)
            {
                context.Response.Redirect("/admin/sso?test=failed&reason=" + Uri.EscapeDataString(
                    $"Signed in, but the ID token and user info have no '{connection.UniqueIdClaim}' claim. Pick a claim your provider sends."));
            }
            else
            {
                await scope.ServiceProvider.GetRequiredService<SsoConnectionService>().RecordTestSignInAsync(connection.TeamId, identifier);
                context.Response.Redirect("/admin/sso?test=ok");
            }

            context.HandleResponse();
            return;
        }

        // The ID token's subject and the issuer that signed it (the handler has validated both, and that the user
        // info's sub is the same); the directory decides which account, if any, they sign in to.
        var subject = context.Principal?.FindFirst(SubjectClaim);
        var users = scope.ServiceProvider.GetRequiredService<UserDirectory>();
        var match = await users.SignInWithSsoAsync(connection.TeamId, subject?.Issuer ?? "", subject?.Value, identifier);
        var slug = Uri.EscapeDataString(connection.TeamSlug);
        if (match.User is not { } user)
        {
            context.Response.Redirect(match.Refusal switch
            {
                SsoSignInRefusal.Deactivated => $"/login?team={slug}&error=deactivated",
                SsoSignInRefusal.AccountLinkedElsewhere => $"/login/sso-refused?team={slug}&reason=account-linked",
                SsoSignInRefusal.SubjectLinkedElsewhere => $"/login/sso-refused?team={slug}&reason=subject-linked",
                SsoSignInRefusal.NoSubject => $"/login/sso-refused?team={slug}&reason=no-subject",
                _ => $"/login/not-provisioned?team={slug}",
            });
            context.HandleResponse();
            return;
        }

        await users.RecordSignInAsync(user.TeamId, user.Id);
        context.Principal = AuthSetup.CreatePrincipal(user, connection.TeamSlug, AuthSetup.SsoMethod);
        if (!ReturnUrls.IsLocal(context.ReturnUri) || context.ReturnUri == ReturnUrls.Home)
        {
            context.ReturnUri = user.ShowWelcomeTour && user.WelcomeTourCompletedAt is null ? "/?welcome=1" : "/";
        }
    }
}
