namespace Catalytic.Admin.Sso;

/// <summary>
/// One signed-in browser session, kept server-side so that sign-out and an admin's revocation end it: the
/// session cookie carries only this row's id, and a cookie whose row is revoked or gone stops working.
/// </summary>
public sealed class UserSession
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TeamId { get; set; }

    public Guid UserId { get; set; }

    /// <summary>How the person signed in: <c>sso</c> or <c>password</c>.</summary>
    public required string Method { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime LastSeenAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    /// <summary>Where the sign-in came from, for the admin's session list (shortened; never a secret).</summary>
    public string? IpAddress { get; set; }

    public string? UserAgent { get; set; }
}
