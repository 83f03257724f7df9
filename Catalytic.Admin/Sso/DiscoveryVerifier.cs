using System.Net;
using System.Text.Json;

namespace Catalytic.Admin.Sso;

/// <summary>Fetches an issuer's OpenID Connect discovery document and checks that it describes that issuer.</summary>
public sealed class DiscoveryVerifier(IHttpClientFactory httpClientFactory)
{
    public const string HttpClientName = "oidc-discovery";

    /// <summary>Returns null when the issuer is usable, else a reason a person can act on.</summary>
    public async Task<string?> VerifyAsync(string issuer, CancellationToken ct = default)
    {
        if (ValidateIssuerUrl(issuer) is { } invalid)
        {
            return invalid;
        }

        var discoveryUrl = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        using var client = httpClientFactory.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(discoveryUrl, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"Could not reach {discoveryUrl}: {e.Message}";
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                return $"Could not read the discovery document at {discoveryUrl}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.";
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            }
            catch (JsonException)
            {
                return $"The discovery document at {discoveryUrl} is not valid JSON.";
            }

            using (document)
            {
                return CheckDocument(issuer, document.RootElement);
            }
        }
    }

    public static string? ValidateIssuerUrl(string? issuer)
    {
        if (string.IsNullOrWhiteSpace(issuer))
        {
            return "Issuer URL is required.";
        }

        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"'{issuer}' is not a valid issuer URL: use the full address, e.g. https://login.example.com/oauth2/default.";
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "The issuer URL must not contain a query string or fragment.";
        }

        return uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri)
            ? $"The issuer must use HTTPS ({issuer}); plain HTTP is accepted only for a loopback address."
            : null;
    }

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip));

    private static string? CheckDocument(string issuer, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "The discovery document is not a JSON object.";
        }

        var advertised = root.TryGetProperty("issuer", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        if (advertised is null)
        {
            return "The discovery document has no 'issuer'.";
        }

        if (!string.Equals(advertised.TrimEnd('/'), issuer.TrimEnd('/'), StringComparison.Ordinal))
        {
            return $"Issuer mismatch: the discovery document says '{advertised}', but you entered '{issuer}'. Enter exactly the issuer the provider advertises.";
        }

        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "jwks_uri" })
        {
            if (!root.TryGetProperty(endpoint, out var value) || value.ValueKind != JsonValueKind.String
                || !Uri.TryCreate(value.GetString(), UriKind.Absolute, out _))
            {
                return $"The discovery document has no valid '{endpoint}'.";
            }
        }

        return null;
    }
}
