using System.Security.Claims;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Catalytic.Admin.Sso;

/// <summary>
/// Ends the session of an open Blazor circuit once its account is deactivated, deleted or loses its role, or
/// its session is signed out or revoked. The cookie check covers new requests; a circuit makes none, so it is
/// checked here: at once when the directory or the session store reports a change to this user, and on a short
/// interval for changes made by another instance.
/// </summary>
public sealed class SessionRevalidator : RevalidatingServerAuthenticationStateProvider
{
    private readonly UserDirectory users;
    private readonly UserChangeNotifier notifier;
    private readonly UserSessions sessions;
    private readonly ILogger<SessionRevalidator> logger;

    public SessionRevalidator(ILoggerFactory loggerFactory, UserDirectory users, UserChangeNotifier notifier, UserSessions sessions)
        : base(loggerFactory)
    {
        this.users = users;
        this.notifier = notifier;
        this.sessions = sessions;
        logger = loggerFactory.CreateLogger<SessionRevalidator>();
        notifier.Changed += OnUserChanged;
        sessions.Changed += OnSessionsChanged;
    }

    /// <summary>How often an open circuit rereads its account; catches changes made by another instance.</summary>
    internal TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    protected override TimeSpan RevalidationInterval => Interval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        // Nothing to end for an anonymous circuit; saying "invalid" would only sign it out again and again.
        return principal.Identity?.IsAuthenticated != true
            || await AuthSetup.IsSessionStillValidAsync(principal, users, sessions, touch: false, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            notifier.Changed -= OnUserChanged;
            sessions.Changed -= OnSessionsChanged;
        }

        base.Dispose(disposing);
    }

    private void OnUserChanged(UserChange change)
    {
        // The directory raises this on the writer's thread: check in the background, never block the writer.
        _ = CheckAfterChangeAsync(change.TeamId, change.UserId, $"account was {change.Kind}");
    }

    private void OnSessionsChanged(SessionChange change)
    {
        if (change.Ended)
        {
            _ = CheckAfterChangeAsync(change.TeamId, change.UserId, "session was ended");
        }
    }

    private async Task CheckAfterChangeAsync(Guid teamId, Guid userId, string reason)
    {
        try
        {
            var state = await GetAuthenticationStateAsync();
            var principal = state.User;
            if (principal.TeamId() != teamId || principal.UserId() != userId)
            {
                return;
            }

            if (await ValidateAuthenticationStateAsync(state, CancellationToken.None))
            {
                return;
            }

            logger.LogInformation("Ending the open session of user {UserId}: its {Reason}", userId, reason);
            SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
        }
        catch (InvalidOperationException)
        {
            // The circuit has no state yet: it is still starting and will read the account itself.
        }
        catch (Exception e)
        {
            // The periodic check still runs; this only loses the head start.
            logger.LogWarning(e, "Could not recheck the session of user {UserId} after a change", userId);
        }
    }
}
