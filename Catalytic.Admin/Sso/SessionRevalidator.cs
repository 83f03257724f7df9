using System.Security.Claims;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Catalytic.Admin.Sso;

/// <summary>
/// Ends the session of an open Blazor circuit once its account is deactivated, deleted or loses its role.
/// The cookie check covers new requests; a circuit makes none, so it is checked here: at once when the
/// directory reports a change to this user, and on a short interval for changes made by another instance.
/// </summary>
public sealed class SessionRevalidator : RevalidatingServerAuthenticationStateProvider
{
    private readonly UserDirectory users;
    private readonly UserChangeNotifier notifier;
    private readonly ILogger<SessionRevalidator> logger;

    public SessionRevalidator(ILoggerFactory loggerFactory, UserDirectory users, UserChangeNotifier notifier)
        : base(loggerFactory)
    {
        this.users = users;
        this.notifier = notifier;
        logger = loggerFactory.CreateLogger<SessionRevalidator>();
        notifier.Changed += OnUserChanged;
    }

    /// <summary>How often an open circuit rereads its account; catches changes made by another instance.</summary>
    internal TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    protected override TimeSpan RevalidationInterval => Interval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        // Nothing to end for an anonymous circuit; saying "invalid" would only sign it out again and again.
        return principal.Identity?.IsAuthenticated != true
            || await AuthSetup.IsSessionStillValidAsync(principal, users, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            notifier.Changed -= OnUserChanged;
        }

        base.Dispose(disposing);
    }

    private void OnUserChanged(UserChange change)
    {
        // The directory raises this on the writer's thread: check in the background, never block the writer.
        _ = CheckAfterChangeAsync(change);
    }

    private async Task CheckAfterChangeAsync(UserChange change)
    {
        try
        {
            var state = await GetAuthenticationStateAsync();
            var principal = state.User;
            if (principal.TeamId() != change.TeamId || principal.UserId() != change.UserId)
            {
                return;
            }

            if (await ValidateAuthenticationStateAsync(state, CancellationToken.None))
            {
                return;
            }

            logger.LogInformation("Ending the open session of user {UserId} after the account was {Change}", change.UserId, change.Kind);
            SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
        }
        catch (InvalidOperationException)
        {
            // The circuit has no state yet: it is still starting and will read the account itself.
        }
        catch (Exception e)
        {
            // The periodic check still runs; this only loses the head start.
            logger.LogWarning(e, "Could not recheck the session of user {UserId} after a change", change.UserId);
        }
    }
}
