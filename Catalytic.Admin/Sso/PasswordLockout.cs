namespace Catalytic.Admin.Sso;

/// <summary>
/// Failed password sign-ins of one user name in one team, for the break-glass sign-in's per-account lockout.
/// Keyed by the normalised user name rather than the user, so that names that do not exist lock out alike.
/// </summary>
public sealed class PasswordLockout
{
    public Guid TeamId { get; set; }

    public required string NormalizedUserName { get; set; }

    public int FailedCount { get; set; }

    public DateTime LastFailedAt { get; set; }

    public DateTime? LockedUntil { get; set; }
}
