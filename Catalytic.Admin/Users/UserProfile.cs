namespace Catalytic.Admin.Users;

/// <summary>
/// What a caller (the SCIM endpoint or an admin) may set on a user: the five stored attributes plus
/// userName, externalId and active. Anything else never reaches the directory.
/// </summary>
public sealed record UserProfile
{
    public required string UserName { get; init; }

    public string? GivenName { get; init; }

    public string? FamilyName { get; init; }

    public string? DisplayName { get; init; }

    public string? Email { get; init; }

    public string? PrimaryPhone { get; init; }

    public string? ExternalId { get; init; }

    public bool Active { get; init; } = true;

    public static UserProfile From(User user) => new()
    {
        UserName = user.UserName,
        GivenName = user.GivenName,
        FamilyName = user.FamilyName,
        DisplayName = user.DisplayName,
        Email = user.Email,
        PrimaryPhone = user.PrimaryPhone,
        ExternalId = user.ExternalId,
        Active = user.Active,
    };
}
