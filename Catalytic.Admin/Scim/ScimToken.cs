namespace Catalytic.Admin.Scim;

/// <summary>
/// A bearer token for a team's SCIM endpoint. Looked up by the SHA-256 of its value; the value itself is
/// kept only encrypted, so that the admin can reveal it again.
/// </summary>
public sealed class ScimToken
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TeamId { get; set; }

    public required byte[] Hash { get; set; }

    public required string ProtectedValue { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Set when a newer token replaced this one with a grace period.</summary>
    public DateTime? ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    public DateTime? LastUsedAt { get; set; }

    public bool IsLive(DateTime now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}
