namespace Catalytic.Admin.Users;

public enum UserSource
{
    Admin,
    Idp,
}

public enum EmailNotifications
{
    All,
    MentionsOnly,
    None,
}

/// <summary>
/// A member of one team. Only the five profile attributes the product stores are here
/// (given name, family name, email, display name, primary phone); everything else an IdP sends is dropped.
/// </summary>
public sealed class User
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid TeamId { get; set; }

    public required string UserName { get; set; }

    /// <summary>Upper-cased copy of <see cref="UserName"/>; the unique index and every filter use it.</summary>
    public string NormalizedUserName { get; set; } = "";

    public string? Email { get; set; }

    public string? NormalizedEmail { get; set; }

    public string? GivenName { get; set; }

    public string? FamilyName { get; set; }

    public string? DisplayName { get; set; }

    public string? PrimaryPhone { get; set; }

    public string? ExternalId { get; set; }

    public bool Active { get; set; } = true;

    public UserSource Source { get; set; }

    public bool IsAdmin { get; set; }

    /// <summary>Only for local (break-glass) admins; SSO members never have one.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>A local (break-glass) account: it signs in with a password and is outside SCIM (see UserDirectory.IsVisibleToIdp).</summary>
    public bool IsLocal => PasswordHash is not null;

    /// <summary>
    /// The IdP subject (<c>iss</c> + <c>sub</c>) bound to this account on its first SSO sign-in; later sign-ins
    /// match on it, never on a name. Null until then.
    /// </summary>
    public string? SsoIssuer { get; set; }

    public string? SsoSubject { get; set; }

    public EmailNotifications EmailNotifications { get; set; }

    public bool WeeklyDigest { get; set; }

    public bool ShowWelcomeTour { get; set; }

    public DateTime? WelcomeTourCompletedAt { get; set; }

    public DateTime? LastSignInAt { get; set; }

    /// <summary>Bumped on every write; the SCIM ETag and the optimistic-concurrency token.</summary>
    public int Version { get; set; } = 1;

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
