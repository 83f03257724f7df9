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

        // A product rule the resource's current state refuses (deactivating or deleting the team's last active admin):
        // RFC 7644 §3.12's "mutability" covers "current state". A 400 is not retried; Okta and Entra show the detail.
        UserErrorKind.NotAllowed => new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.Mutability, error.Detail),
        _ => new ScimErrorResult(StatusCodes.Status400BadRequest, null, error.Detail),
    };
}
