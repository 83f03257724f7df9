using System.Text.Json;
using Catalytic.Admin.Scim.Filters;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Scim.Patch;

/// <summary>
/// A working copy of a <see cref="UserProfile"/> that SCIM values are written into: PATCH operations, and the
/// attributes of a POST or PUT body. Only the stored attributes change; anything else (password, title,
/// addresses, roles, groups, extension attributes, unknown names) is accepted and dropped. The only errors are
/// values of the wrong JSON type; the product rules are left to the <see cref="UserDirectory"/>.
/// </summary>
internal sealed class ScimUserEditor(UserProfile profile)
{
    // The product keeps one email and one phone. When a request carries several (work and mobile, or an
    // array), the best ranked wins, whatever the order they come in: primary, then work, then mobile, then any.
    private const int PrimaryRank = 0;
    private const int WorkRank = 1;
    private const int MobileRank = 2;
    private const int OtherRank = 3;
    private const int NotSet = int.MaxValue;

    private string userName = profile.UserName;
    private string? givenName = profile.GivenName;
    private string? familyName = profile.FamilyName;
    private string? displayName = profile.DisplayName;
    private string? email = profile.Email;
    private string? phone = profile.PrimaryPhone;
    private string? externalId = profile.ExternalId;
    private bool active = profile.Active;
    private int emailRank = NotSet;
    private int phoneRank = NotSet;

    public UserProfile ToProfile() => new()
    {
        UserName = userName,
        GivenName = givenName,
        FamilyName = familyName,
        DisplayName = displayName,
        Email = email,
        PrimaryPhone = phone,
        ExternalId = externalId,
        Active = active,
    };

    /// <summary>Writes each member of an attribute object; member names may be paths ("name.givenName", URN-prefixed).</summary>
    public UserError? SetAll(JsonElement attributes, bool replace)
    {
        foreach (var member in attributes.EnumerateObject())
        {
            if (member.Name.Equals(ScimSchemas.User, StringComparison.OrdinalIgnoreCase) && member.Value.ValueKind == JsonValueKind.Object)
            {
                if (SetAll(member.Value, replace) is { } nested)
                {
                    return nested;
                }

                continue;
            }

            PatchPath path;
            try
            {
                path = ScimFilterParser.ParsePath(member.Name);
            }
            catch (ScimFilterException)
            {
                // Not an attribute path, so not an attribute we store.
                continue;
            }

            if (Set(path, member.Value, replace) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    public UserError? Set(PatchPath path, JsonElement value, bool replace)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            // "add" of nothing changes nothing; "replace" with null clears.
            if (replace)
            {
                Remove(path);
            }

            return null;
        }

        var (attribute, sub) = ScimUserAttributes.Resolve(path.Attribute);
        if (path.Filter is not null)
        {
            return attribute is UserAttribute.Emails or UserAttribute.PhoneNumbers && sub is null
                ? SetFiltered(attribute, path.Filter, path.SubAttribute, value)
                : null;
        }

        switch (attribute, sub)
        {
            case (UserAttribute.UserName, null):
                return Text(value, "userName", out var name) ?? Assign(ref userName, name ?? "");
            case (UserAttribute.ExternalId, null):
                return Text(value, "externalId", out externalId);
            case (UserAttribute.DisplayName, null):
                return Text(value, "displayName", out displayName);
            case (UserAttribute.Active, null):
                return Boolean(value, out active);
            case (UserAttribute.Name, null):
                return SetName(value);
            case (UserAttribute.Name, "givenname"):
                return Text(value, "name.givenName", out givenName);
            case (UserAttribute.Name, "familyname"):
                return Text(value, "name.familyName", out familyName);
            case (UserAttribute.Emails or UserAttribute.PhoneNumbers, null):
                return SetElements(attribute, value, replace);
            case (UserAttribute.Emails or UserAttribute.PhoneNumbers, "value"):
                return Text(value, Label(attribute) + ".value", out var text) ?? SetValue(attribute, text, OtherRank);
            default:
                // Not stored: id, meta, schemas, name.formatted, emails.type, password, title, roles, extensions...
                return null;
        }
    }

    public void Remove(PatchPath path)
    {
        var (attribute, sub) = ScimUserAttributes.Resolve(path.Attribute);
        if (path.Filter is not null)
        {
            var wholeElement = path.SubAttribute is null || path.SubAttribute.Equals("value", StringComparison.OrdinalIgnoreCase);
            if (attribute is UserAttribute.Emails or UserAttribute.PhoneNumbers && sub is null && wholeElement)
            {
                if (Current(attribute) is { } current && ScimValueFilter.Matches(path.Filter, Element(current)))
                {
                    SetValue(attribute, null, NotSet, force: true);
                }
            }

            return;
        }

        switch (attribute, sub)
        {
            case (UserAttribute.UserName, null):
                // userName is required; the directory says so when it sees it empty.
                userName = "";
                break;
            case (UserAttribute.ExternalId, null):
                externalId = null;
                break;
            case (UserAttribute.DisplayName, null):
                displayName = null;
                break;
            case (UserAttribute.Name, null):
                givenName = null;
                familyName = null;
                break;
            case (UserAttribute.Name, "givenname"):
                givenName = null;
                break;
            case (UserAttribute.Name, "familyname"):
                familyName = null;
                break;
            case (UserAttribute.Emails or UserAttribute.PhoneNumbers, null or "value"):
                SetValue(attribute, null, NotSet, force: true);
                break;
        }
    }

    private UserError? SetName(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return Invalid("name", "name must be an object such as {\"givenName\":\"Erika\",\"familyName\":\"Mustermann\"}.");
        }

        // A complex value merges: sub-attributes not mentioned stay as they are (RFC 7644 §3.5.2.1, §3.5.2.3).
        foreach (var member in value.EnumerateObject())
        {
            var error = member.Name.ToLowerInvariant() switch
            {
                "givenname" => Text(member.Value, "name.givenName", out givenName),
                "familyname" => Text(member.Value, "name.familyName", out familyName),
                _ => null,
            };
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private UserError? SetElements(UserAttribute attribute, JsonElement value, bool replace)
    {
        if (value.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
        {
            return Invalid(Label(attribute), $"{Label(attribute)} must be an array of objects such as [{{\"value\":\"...\",\"type\":\"work\",\"primary\":true}}].");
        }

        IEnumerable<JsonElement> elements = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [value];

        string? best = null;
        var bestRank = NotSet;
        foreach (var element in elements)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                return Invalid(Label(attribute), $"Each element of {Label(attribute)} must be an object with a \"value\".");
            }

            if (ElementValue(attribute, element, out var text, out var rank) is { } error)
            {
                return error;
            }

            if (!string.IsNullOrWhiteSpace(text) && rank < bestRank)
            {
                (best, bestRank) = (text, rank);
            }
        }

        if (best is not null)
        {
            return SetValue(attribute, best, bestRank);
        }

        // "replace" with no usable element empties the attribute; "add" of nothing changes nothing.
        return replace ? SetValue(attribute, null, NotSet, force: true) : null;
    }

    private UserError? SetFiltered(UserAttribute attribute, FilterNode filter, string? subAttribute, JsonElement value)
    {
        // The filter names the element to change. There is at most one, so whether it matches or not
        // (then it is created, as Entra ID expects), the result is the same: this becomes the value.
        var rank = Rank(attribute, filter);
        if (subAttribute is null)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    return SetValue(attribute, value.GetString(), rank);
                case JsonValueKind.Object:
                    return ElementValue(attribute, value, out var elementText, out var elementRank)
                        ?? (string.IsNullOrWhiteSpace(elementText) ? null : SetValue(attribute, elementText, Math.Min(rank, elementRank)));
                default:
                    return SetElements(attribute, value, replace: false);
            }
        }

        return subAttribute.Equals("value", StringComparison.OrdinalIgnoreCase)
            ? Text(value, Label(attribute) + ".value", out var text) ?? SetValue(attribute, text, rank)
            : null;
    }

    private static UserError? ElementValue(UserAttribute attribute, JsonElement element, out string? text, out int rank)
    {
        rank = OtherRank;
        text = null;
        if (element.TryGetMember("value", out var value) && Text(value, Label(attribute) + ".value", out text) is { } error)
        {
            return error;
        }

        var primary = element.TryGetMember("primary", out var flag)
            && (flag.ValueKind == JsonValueKind.True || (flag.ValueKind == JsonValueKind.String && bool.TryParse(flag.GetString(), out var parsed) && parsed));
        var type = element.TryGetMember("type", out var typeValue) && typeValue.ValueKind == JsonValueKind.String ? typeValue.GetString() : null;
        rank = primary ? PrimaryRank : TypeRank(attribute, type);
        return null;
    }

    private UserError? SetValue(UserAttribute attribute, string? value, int rank, bool force = false)
    {
        if (attribute == UserAttribute.Emails)
        {
            if (force || rank <= emailRank)
            {
                (email, emailRank) = (value, rank);
            }
        }
        else if (force || rank <= phoneRank)
        {
            (phone, phoneRank) = (value, rank);
        }

        return null;
    }

    private string? Current(UserAttribute attribute) => attribute == UserAttribute.Emails ? email : phone;

    private static Dictionary<string, object?> Element(string value) => new()
    {
        ["value"] = value,
        ["type"] = ScimUserAttributes.ElementType,
        ["primary"] = true,
    };

    private static int Rank(UserAttribute attribute, FilterNode filter) => filter switch
    {
        CompareFilter { Operator: CompareOperator.Eq, Attribute: { Schema: null, SubAttribute: null } path, Value: var literal }
            when path.Name.Equals("type", StringComparison.OrdinalIgnoreCase) && literal.Kind == LiteralKind.Text => TypeRank(attribute, literal.Text),
        CompareFilter { Operator: CompareOperator.Eq, Attribute: { Schema: null, SubAttribute: null } path, Value.Kind: LiteralKind.True }
            when path.Name.Equals("primary", StringComparison.OrdinalIgnoreCase) => PrimaryRank,
        AndFilter and => Math.Min(Rank(attribute, and.Left), Rank(attribute, and.Right)),
        _ => OtherRank,
    };

    private static int TypeRank(UserAttribute attribute, string? type) =>
        string.Equals(type, "work", StringComparison.OrdinalIgnoreCase) ? WorkRank
        : attribute == UserAttribute.PhoneNumbers && string.Equals(type, "mobile", StringComparison.OrdinalIgnoreCase) ? MobileRank
        : OtherRank;

    private static string Label(UserAttribute attribute) => attribute == UserAttribute.Emails ? "emails" : "phoneNumbers";

    private static UserError? Assign(ref string target, string value)
    {
        target = value;
        return null;
    }

    private static UserError? Text(JsonElement value, string attribute, out string? text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                text = value.GetString();
                return null;
            case JsonValueKind.Number:
                text = value.GetRawText();
                return null;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                text = null;
                return null;
            default:
                text = null;
                return Invalid(attribute, $"{attribute} must be a string, not {Describe(value)}.");
        }
    }

    private static UserError? Boolean(JsonElement value, out bool flag)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                flag = value.GetBoolean();
                return null;

            // Entra ID sends "True" and "False" as strings.
            case JsonValueKind.String when bool.TryParse(value.GetString(), out flag):
                return null;
            default:
                flag = default;
                return Invalid("active", $"active must be true or false, not {Describe(value)}.");
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        _ => Shorten(value.GetRawText()),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static UserError Invalid(string attribute, string detail) => new(UserErrorKind.InvalidValue, detail, attribute);
}
