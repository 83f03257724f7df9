namespace Catalytic.Admin.Users;

public enum UserErrorKind
{
    /// <summary>A value breaks a rule (SCIM 400 invalidValue).</summary>
    InvalidValue,

    /// <summary>userName or email already belongs to another user of the team (SCIM 409 uniqueness).</summary>
    Uniqueness,

    /// <summary>No such user in this team (SCIM 404).</summary>
    NotFound,

    /// <summary>The caller's expected version is stale (SCIM 412).</summary>
    VersionMismatch,

    /// <summary>The change is refused for this user (e.g. removing the last admin).</summary>
    NotAllowed,
}

/// <summary>A rule violation, with a detail written for the person who has to fix it.</summary>
public sealed record UserError(UserErrorKind Kind, string Detail, string? Attribute = null);

public readonly record struct UserResult(User? User, UserError? Error)
{
    public bool Succeeded => Error is null;

    public static implicit operator UserResult(User user) => new(user, null);

    public static implicit operator UserResult(UserError error) => new(null, error);
}
