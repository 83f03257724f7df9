namespace Catalytic.Admin.Users;

public enum UserChangeKind
{
    Created,
    Updated,
    Deactivated,
    Deleted,
}

public sealed record UserChange(Guid TeamId, Guid UserId, UserChangeKind Kind);

/// <summary>
/// In-process fan-out of user changes, so open pages refresh and ended sessions close without polling.
/// Subscribers must marshal to their own context (components: InvokeAsync) and unsubscribe on dispose.
/// </summary>
public sealed class UserChangeNotifier
{
    public event Action<UserChange>? Changed;

    public void Publish(UserChange change) => Changed?.Invoke(change);
}
