using System.Text.Json;
using System.Text.Json.Serialization;

namespace Catalytic.Admin.Scim;

public static class ScimJson
{
    public const string MediaType = "application/scim+json";

    /// <summary>SCIM names are exact (<c>Resources</c>, <c>totalResults</c>, URN keys): no naming policy.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Finds a member by name ignoring case, as RFC 7643 §2.1 asks of attribute names
    /// (<c>"UserName"</c>, <c>"Operations"</c>, <c>"Primary"</c>). With duplicates, the last one wins.
    /// </summary>
    public static bool TryGetMember(this JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var found = false;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals(name) || string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                found = true;
            }
        }

        return found;
    }
}
