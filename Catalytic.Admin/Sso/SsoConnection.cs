namespace Catalytic.Admin.Sso;

/// <summary>A team's OpenID Connect connection. At most one per team.</summary>
public sealed class SsoConnection
{
    public Guid TeamId { get; set; }

    public required string Issuer { get; set; }

    public required string ClientId { get; set; }

    /// <summary>The client secret, encrypted with Data Protection. Never shown again once saved.</summary>
    public string? ProtectedClientSecret { get; set; }

    public string Scopes { get; set; } = SsoDefaults.Scopes;

    public string UniqueIdClaim { get; set; } = SsoDefaults.UniqueIdClaim;

    /// <summary>Set when the issuer's discovery document was fetched and checked; null means "not configured".</summary>
    public DateTime? VerifiedAt { get; set; }

    public DateTime? LastTestSignInAt { get; set; }

    public string? LastTestSignInSubject { get; set; }

    /// <summary>Bumped on every save so that every app instance builds fresh OIDC options.</summary>
    public int Version { get; set; } = 1;

    public DateTime UpdatedAt { get; set; }
}

public static class SsoDefaults
{
    public const string Scopes = "openid profile email";
    public const string UniqueIdClaim = "preferred_username";
}
