using Catalytic.Admin.Provisioning;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Scim;

/// <summary>What this endpoint implements, as RFC 7643 §5–7 and RFC 7644 §4 ask a service provider to describe it.</summary>
public static class ScimDiscoveryEndpoints
{
    public static RouteGroupBuilder MapScimDiscovery(this RouteGroupBuilder group)
    {
        string[] writes = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];
        group.MapScimGet("/ServiceProviderConfig", GetServiceProviderConfig);
        group.MapScimGet("/ResourceTypes", ListResourceTypes);
        group.MapScimGet("/ResourceTypes/{name}", GetResourceType);
        group.MapScimGet("/Schemas", ListSchemas);
        group.MapScimGet("/Schemas/{urn}", GetSchema);
        foreach (var pattern in new[] { "/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/{name}", "/Schemas", "/Schemas/{urn}" })
        {
            group.MapMethods(pattern, writes, ScimEndpoints.MethodNotAllowed("GET, HEAD"));
        }

        return group;
    }

    public static Results<ScimJsonResult, ScimErrorResult> GetServiceProviderConfig(HttpContext context, string team, IOptions<AppOptions> options) =>
        Discovery(context) is { } refused ? refused : new ScimJsonResult(ServiceProviderConfig(ScimLocation.Base(context, team), options.Value.Scim.MaxPageSize));

    public static Results<ScimJsonResult, ScimErrorResult> ListResourceTypes(HttpContext context, string team) =>
        Discovery(context) is { } refused ? refused : new ScimJsonResult(ListResponse(UserResourceType(ScimLocation.Base(context, team))));

    public static Results<ScimJsonResult, ScimErrorResult> GetResourceType(HttpContext context, string team, string name)
    {
        if (Discovery(context) is { } refused)
        {
            return refused;
        }

        return name.Equals("User", StringComparison.OrdinalIgnoreCase)
            ? new ScimJsonResult(UserResourceType(ScimLocation.Base(context, team)))
            : new ScimErrorResult(StatusCodes.Status404NotFound, null, $"There is no resource type '{ScimRequest.Shorten(name)}' here; this endpoint provisions only 'User'.");
    }

    public static Results<ScimJsonResult, ScimErrorResult> ListSchemas(HttpContext context, string team) =>
        Discovery(context) is { } refused ? refused : new ScimJsonResult(ListResponse(UserSchema(ScimLocation.Base(context, team))));

    public static Results<ScimJsonResult, ScimErrorResult> GetSchema(HttpContext context, string team, string urn)
    {
        if (Discovery(context) is { } refused)
        {
            return refused;
        }

        return urn.Equals(ScimSchemas.User, StringComparison.OrdinalIgnoreCase)
            ? new ScimJsonResult(UserSchema(ScimLocation.Base(context, team)))
            : new ScimErrorResult(StatusCodes.Status404NotFound, null, $"There is no schema '{ScimRequest.Shorten(urn)}' here; this endpoint implements only {ScimSchemas.User}.");
    }

    /// <summary>
    /// Marks the request as discovery; refuses a filter with 403, so no client believes one was applied
    /// (RFC 7644 §4: filtering, sorting and paging are not supported on these endpoints).
    /// </summary>
    private static ScimErrorResult? Discovery(HttpContext context)
    {
        ProvisioningContext.Get(context)?.Operation = "discovery";
        return context.Request.Query.ContainsKey("filter")
            ? new ScimErrorResult(StatusCodes.Status403Forbidden, null, "Discovery endpoints do not support filter; request them without query parameters.")
            : null;
    }

    internal static Dictionary<string, object> ServiceProviderConfig(string baseUrl, int maxResults) => new()
    {
        ["schemas"] = new[] { ScimSchemas.ServiceProviderConfig },
        ["documentationUri"] = baseUrl.Split("/scim/v2/")[0] + "/admin/sso",
        ["patch"] = new { supported = true },
        ["bulk"] = new { supported = false, maxOperations = 0, maxPayloadSize = 0 },
        ["filter"] = new { supported = true, maxResults },
        ["changePassword"] = new { supported = false },
        ["sort"] = new { supported = true },
        ["etag"] = new { supported = true },
        ["authenticationSchemes"] = new[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "oauthbearertoken",
                ["name"] = "OAuth Bearer Token",
                ["description"] = "The team's SCIM token, sent as 'Authorization: Bearer <token>'.",
                ["primary"] = true,
            },
        },
        ["meta"] = new Dictionary<string, object>
        {
            ["resourceType"] = "ServiceProviderConfig",
            ["location"] = baseUrl + "/ServiceProviderConfig",
        },
    };

    private static Dictionary<string, object> ListResponse(Dictionary<string, object> resource) => new()
    {
        ["schemas"] = new[] { ScimSchemas.ListResponse },
        ["totalResults"] = 1,
        ["startIndex"] = 1,
        ["itemsPerPage"] = 1,
        ["Resources"] = new[] { resource },
    };

    private static Dictionary<string, object> UserResourceType(string baseUrl) => new()
    {
        ["schemas"] = new[] { ScimSchemas.ResourceType },
        ["id"] = "User",
        ["name"] = "User",
        ["endpoint"] = "/Users",
        ["description"] = "A member of the team.",
        ["schema"] = ScimSchemas.User,
        ["schemaExtensions"] = Array.Empty<object>(),
        ["meta"] = new Dictionary<string, object>
        {
            ["resourceType"] = "ResourceType",
            ["location"] = baseUrl + "/ResourceTypes/User",
        },
    };

    /// <summary>
    /// The User schema, cut down to the attributes that are stored and returned. Common attributes (id,
    /// externalId, meta) belong to no schema (RFC 7643 §3.1), so they are not listed.
    /// </summary>
    private static Dictionary<string, object> UserSchema(string baseUrl) => new()
    {
        ["schemas"] = new[] { ScimSchemas.Schema },
        ["id"] = ScimSchemas.User,
        ["name"] = "User",
        ["description"] = "A member of the team. Other User attributes (password, title, addresses, roles, groups, extensions) are accepted and ignored.",
        ["attributes"] = new object[]
        {
            Attribute("userName", "string", "Unique in the team, compared without regard to case. Letters A-Z, a-z and digits 0-9 only.", required: true, uniqueness: "server"),
            Complex("name", "The user's name.", multiValued: false, [
                Attribute("formatted", "string", "Given name and family name, derived from them.", mutability: "readOnly"),
                Attribute("familyName", "string", "The family name."),
                Attribute("givenName", "string", "The given name."),
            ]),
            Attribute("displayName", "string", "The name shown to other members."),
            Complex("emails", "One email address, unique in the team; shown as the primary work address.", multiValued: true, [
                Attribute("value", "string", "The email address."),
                Attribute("type", "string", "Always 'work' when returned.", canonicalValues: ["work"]),
                Attribute("primary", "boolean", "Always true when returned."),
            ]),
            Complex("phoneNumbers", "One phone number; shown as the primary work number.", multiValued: true, [
                Attribute("value", "string", "The phone number."),
                Attribute("type", "string", "Always 'work' when returned.", canonicalValues: ["work"]),
                Attribute("primary", "boolean", "Always true when returned."),
            ]),
            Attribute("active", "boolean", "False deactivates the user: their sessions end, and they stay listed."),
        },
        ["meta"] = new Dictionary<string, object>
        {
            ["resourceType"] = "Schema",
            ["location"] = $"{baseUrl}/Schemas/{ScimSchemas.User}",
        },
    };

    private static Dictionary<string, object> Attribute(
        string name,
        string type,
        string description,
        bool required = false,
        string mutability = "readWrite",
        string uniqueness = "none",
        string[]? canonicalValues = null)
    {
        var attribute = new Dictionary<string, object>
        {
            ["name"] = name,
            ["type"] = type,
            ["multiValued"] = false,
            ["description"] = description,
            ["required"] = required,
            ["mutability"] = mutability,
            ["returned"] = "default",
            ["uniqueness"] = uniqueness,
        };
        if (type == "string")
        {
            attribute["caseExact"] = false;
        }

        if (canonicalValues is not null)
        {
            attribute["canonicalValues"] = canonicalValues;
        }

        return attribute;
    }

    private static Dictionary<string, object> Complex(string name, string description, bool multiValued, Dictionary<string, object>[] subAttributes) => new()
    {
        ["name"] = name,
        ["type"] = "complex",
        ["multiValued"] = multiValued,
        ["description"] = description,
        ["required"] = false,
        ["mutability"] = "readWrite",
        ["returned"] = "default",
        ["uniqueness"] = "none",
        ["subAttributes"] = subAttributes,
    };
}

public static class ScimLocation
{
    /// <summary>The team's SCIM base URL as the IdP reaches it (PublicBaseUrl, else the request's own address).</summary>
    public static string Base(HttpContext context, string team) =>
        context.RequestServices.GetRequiredService<PublicUrls>().ScimBaseUrl(team, $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}");
}
