using Microsoft.Extensions.Options;

namespace Catalytic.Admin;

/// <summary>Builds the addresses shown to admins and IdPs (SCIM base URL, OIDC redirect URI).</summary>
public sealed class PublicUrls(IOptions<AppOptions> options, IConfiguration configuration)
{
    /// <summary>
    /// The configured PublicBaseUrl; else <paramref name="requestBase"/> (the address the admin's browser used);
    /// else the first address the server listens on.
    /// </summary>
    public string BaseUrl(string? requestBase = null)
    {
        var configured = options.Value.PublicBaseUrl;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.TrimEnd('/');
        }

        if (!string.IsNullOrWhiteSpace(requestBase))
        {
            return requestBase.TrimEnd('/');
        }

        var urls = configuration["Urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://localhost:5080";
        return urls.Split(';', StringSplitOptions.RemoveEmptyEntries)[0].Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).TrimEnd('/');
    }

    public string ScimBaseUrl(string teamSlug, string? requestBase = null) => $"{BaseUrl(requestBase)}/scim/v2/{teamSlug}";

    public string OidcRedirectUri(string teamSlug, string? requestBase = null) => BaseUrl(requestBase) + Sso.TeamOidcSchemes.CallbackPath(teamSlug);
}
