using Catalytic.Admin.Provisioning;

namespace Catalytic.Admin.Scim;

/// <summary>What this endpoint implements, as RFC 7643 §5 asks a service provider to describe it.</summary>
public static class ScimDiscoveryEndpoints
{
    public static RouteGroupBuilder MapScimDiscovery(this RouteGroupBuilder group)
    {
        group.MapGet("/ServiceProviderConfig", GetServiceProviderConfig);
        return group;
    }

    public static ScimJsonResult GetServiceProviderConfig(HttpContext context, string team)
    {
        ProvisioningContext.Get(context)!.Operation = "discovery";
        return new ScimJsonResult(ServiceProviderConfig(ScimLocation.Base(context, team)));
    }

    internal static Dictionary<string, object> ServiceProviderConfig(string baseUrl) => new()
    {
        ["schemas"] = new[] { "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig" },
        ["documentationUri"] = baseUrl.Split("/scim/v2/")[0] + "/admin/sso",
        ["patch"] = new { supported = true },
        ["bulk"] = new { supported = false, maxOperations = 0, maxPayloadSize = 0 },
        ["filter"] = new { supported = true, maxResults = 1000 },
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
}

public static class ScimLocation
{
    /// <summary>The team's SCIM base URL as the IdP reaches it (PublicBaseUrl, else the request's own address).</summary>
    public static string Base(HttpContext context, string team) =>
        context.RequestServices.GetRequiredService<PublicUrls>().ScimBaseUrl(team, $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}");
}
