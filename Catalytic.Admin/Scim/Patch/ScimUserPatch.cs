using System.Text.Json;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Scim.Patch;

/// <summary>
/// Applies parsed PATCH operations to a user's current profile. Pure: the directory may call it again with a
/// fresher profile when it retries after a concurrent write.
/// </summary>
public static class ScimUserPatch
{
    public static UserResult<UserProfile> Apply(UserProfile current, IReadOnlyList<PatchOperation> operations)
    {
        var editor = new ScimUserEditor(current);
        foreach (var operation in operations)
        {
            var replace = operation.Kind == PatchOperationKind.Replace;
            UserError? error = null;
            if (operation.Kind == PatchOperationKind.Remove)
            {
                editor.Remove(operation.Path!);
            }
            else
            {
                error = operation.Path is null ? editor.SetAll(operation.Value, replace) : editor.Set(operation.Path, operation.Value, replace);
            }

            if (error is not null)
            {
                return error;
            }
        }

        return editor.ToProfile();
    }
}

/// <summary>Reads the User resource of a POST or PUT body into a profile; a client-supplied id, meta and password are ignored.</summary>
public static class ScimUserBody
{
    /// <param name="body">A JSON object.</param>
    /// <param name="active">The value of <c>active</c> when the body does not say (true on create; unchanged on replace).</param>
    public static UserResult<UserProfile> ToProfile(JsonElement body, bool active)
    {
        var editor = new ScimUserEditor(new UserProfile { UserName = "", Active = active });
        return editor.SetAll(body, replace: true) is { } error ? error : editor.ToProfile();
    }
}
