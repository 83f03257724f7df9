using Catalytic.Admin.Users;

namespace Catalytic.Admin.Scim;

/// <summary>The one place where a user-directory rule violation becomes the SCIM error the IdP sees.</summary>
public static class ScimUserErrors
{
    public static ScimErrorResult ToScim(this UserError error) => error.Kind switch
    {
        UserErrorKind.InvalidValue => new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidValue, error.Detail),
        UserErrorKind.Uniqueness => new ScimErrorResult(StatusCodes.Status409Conflict, ScimErrorType.Uniqueness, error.Detail),
        UserErrorKind.NotFound => new ScimErrorResult(StatusCodes.Status404NotFound, null, error.Detail),

        // RFC 7644 §3.12 has no scimType for a failed If-Match ("invalidVers" is about the protocol version).
        UserErrorKind.VersionMismatch => new ScimErrorResult(StatusCodes.Status412PreconditionFailed, null, error.Detail),

        // A product rule that no value in the request could satisfy (e.g. deleting the team's last admin).
        UserErrorKind.NotAllowed => new ScimErrorResult(StatusCodes.Status403Forbidden, null, error.Detail),
        _ => new ScimErrorResult(StatusCodes.Status400BadRequest, null, error.Detail),
    };
}
