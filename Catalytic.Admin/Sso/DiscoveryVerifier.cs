using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Catalytic.Admin.Sso;

/// <summary>Fetches an issuer's OpenID Connect discovery document and checks that it describes that issuer.</summary>
public sealed class DiscoveryVerifier(IHttpClientFactory httpClientFactory, SsoNetworkGuard network, ILogger<DiscoveryVerifier> logger)
{
    /// <summary>The guarded client (see <see cref="SsoHttp"/>), also the OIDC handler's back channel.</summary>
    public const string HttpClientName = "oidc-discovery";

    /// <summary>Returns null when the issuer is usable, else a reason a person can act on.</summary>
    public async Task<string?> VerifyAsync(string issuer, CancellationToken ct = default)
    {
        if (ValidateIssuerUrl(issuer) is { } invalid)
        {
            return invalid;
        }

        // One answer for a closed port, a refused or timed-out connection, a redirect and a server that is not an
        // OIDC provider: the admin learns that it failed, not what listens on which port. Details go to Debug.
        var unreachable = $"Could not fetch the discovery document from {issuer}: check the issuer URL, and that this server can reach the provider over the network.";
        var discoveryUrl = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        using var client = httpClientFactory.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(discoveryUrl, ct);
        }
        catch (HttpRequestException e) when (e.InnerException is PrivateNetworkAddressException)
        {
            logger.LogDebug(e, "Discovery at {Url} refused: private network address", discoveryUrl);
            return $"Could not fetch the discovery document from {issuer}: {PrivateNotAllowed}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogDebug(e, "Discovery at {Url} failed", discoveryUrl);
            return unreachable;
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                logger.LogDebug("Discovery at {Url} answered {Status}", discoveryUrl, (int)response.StatusCode);
                return unreachable;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            }
            catch (JsonException e)
            {
                logger.LogDebug(e, "Discovery at {Url} is not JSON", discoveryUrl);
                return unreachable;
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("issuer", out var advertised) || advertised.ValueKind != JsonValueKind.String)
                {
                    logger.LogDebug("Discovery at {Url} has no issuer", discoveryUrl);
                    return unreachable;
                }

                return CheckDocument(issuer, advertised.GetString()!, root) ?? await CheckEndpointHostsAsync(root, ct);
            }
        }
    }

    private static string PrivateNotAllowed =>
        $"private and loopback network addresses are not allowed (set {SsoHttp.AllowPrivateNetworkIssuersKey} to true for a provider inside your network).";

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

    private static string? CheckDocument(string issuer, string advertised, JsonElement root)
    {
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

    /// <summary>
    /// Every address the document names (token, keys, user info, sign-in, sign-out…) must pass the network guard
    /// too: the issuer alone proves nothing about where the handler will connect or send people next.
    /// </summary>
    private async Task<string?> CheckEndpointHostsAsync(JsonElement root, CancellationToken ct)
    {
        if (network.AllowsPrivateNetworks)
        {
            return null;
        }

        var named = root.EnumerateObject()
            .Concat(root.TryGetProperty("mtls_endpoint_aliases", out var aliases) && aliases.ValueKind == JsonValueKind.Object ? aliases.EnumerateObject() : [])
            .Where(p => p.Name != "issuer" && p.Value.ValueKind == JsonValueKind.String);
        foreach (var property in named)
        {
            if (!Uri.TryCreate(property.Value.GetString(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                continue;
            }

            try
            {
                await network.ResolveAsync(uri.IdnHost, ct);
            }
            catch (PrivateNetworkAddressException)
            {
                return $"The discovery document names '{property.Name}' on a private or loopback network address: {PrivateNotAllowed}";
            }
            catch (SocketException e)
            {
                logger.LogDebug(e, "Discovery endpoint {Name} at {Host} does not resolve", property.Name, uri.IdnHost);
                return $"The discovery document names '{property.Name}' at a host that does not resolve ({uri.IdnHost}).";
            }
        }

        return null;
    }
}
