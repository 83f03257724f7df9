using Catalytic.Admin.Scim.Filters;

namespace Catalytic.Admin.Scim;

public static class ScimSchemas
{
    public const string User = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string EnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    public const string ListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public const string ServiceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    public const string ResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    public const string Schema = "urn:ietf:params:scim:schemas:core:2.0:Schema";
}

/// <summary>The top-level User attributes this endpoint knows; everything else is <see cref="Unknown"/> and dropped.</summary>
public enum UserAttribute
{
    Unknown,
    Schemas,
    Id,
    ExternalId,
    UserName,
    Name,
    DisplayName,
    Emails,
    PhoneNumbers,
    Active,
    Meta,
}

/// <summary>
/// Resolves attribute names the way RFC 7643 asks: case-insensitively, with or without the core User schema
/// URN in front. Names under any other schema (the enterprise extension included) are not stored here, so
/// they resolve to <see cref="UserAttribute.Unknown"/>.
/// </summary>
public static class ScimUserAttributes
{
    /// <summary>The one email and the one phone are shown with this type, and with primary = true.</summary>
    public const string ElementType = "work";

    public static (UserAttribute Attribute, string? SubAttribute) Resolve(AttributePath path)
    {
        if (path.Schema is not null && !path.Schema.Equals(ScimSchemas.User, StringComparison.OrdinalIgnoreCase))
        {
            return (UserAttribute.Unknown, null);
        }

        return (Top(path.Name), path.SubAttribute?.ToLowerInvariant());
    }

    public static UserAttribute Top(string name) => name.ToLowerInvariant() switch
    {
        "schemas" => UserAttribute.Schemas,
        "id" => UserAttribute.Id,
        "externalid" => UserAttribute.ExternalId,
        "username" => UserAttribute.UserName,
        "name" => UserAttribute.Name,
        "displayname" => UserAttribute.DisplayName,
        "emails" => UserAttribute.Emails,
        "phonenumbers" => UserAttribute.PhoneNumbers,
        "active" => UserAttribute.Active,
        "meta" => UserAttribute.Meta,
        _ => UserAttribute.Unknown,
    };

    /// <summary>
    /// Parses a comma-separated attribute list (<c>attributes</c>, <c>excludedAttributes</c>, <c>sortBy</c>).
    /// Entries that are not attribute paths name nothing we return, so they are skipped rather than refused.
    /// </summary>
    public static IEnumerable<(UserAttribute Attribute, string? SubAttribute)> ParseList(string? list)
    {
        if (string.IsNullOrWhiteSpace(list))
        {
            yield break;
        }

        foreach (var entry in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            AttributePath path;
            try
            {
                path = ScimFilterParser.ParseAttributePath(entry);
            }
            catch (ScimFilterException)
            {
                continue;
            }

            var resolved = Resolve(path);
            if (resolved.Attribute != UserAttribute.Unknown)
            {
                yield return resolved;
            }
        }
    }
}
