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
}
