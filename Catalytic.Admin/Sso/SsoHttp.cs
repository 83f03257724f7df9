using System.Net;
using System.Net.Sockets;

namespace Catalytic.Admin.Sso;

/// <summary>
/// The HTTP client for every call to an identity provider: "Save and verify" and the OIDC handler's back channel
/// (discovery, keys, token, user info). An admin types the issuer, so without a guard the server would fetch any
/// address for them, including its own network.
/// </summary>
public static class SsoHttp
{
    public const string AllowPrivateNetworkIssuersKey = "Catalytic:Sso:AllowPrivateNetworkIssuers";

    public static IServiceCollection AddSsoHttp(this IServiceCollection services)
    {
        services.AddSingleton(sp => new SsoNetworkGuard(AllowsPrivateNetworks(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>())));
        services.AddHttpClient(DiscoveryVerifier.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // A redirect could lead anywhere; the guard sees each connection, but a provider has no reason to redirect.
                AllowAutoRedirect = false,
                // Through a proxy the guard would see only the proxy's address.
                UseProxy = false,
                ConnectCallback = sp.GetRequiredService<SsoNetworkGuard>().ConnectAsync,
            });
        return services;
    }

    /// <summary>The setting; when it is not set, allowed only in Development (a provider on the developer's machine).</summary>
    public static bool AllowsPrivateNetworks(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<bool?>(AllowPrivateNetworkIssuersKey) ?? environment.IsDevelopment();
}

/// <summary>
/// Connects only to public addresses unless private networks are allowed. The check runs on the addresses the
/// connection really uses, at connect time, so a name that resolves differently later (DNS rebinding) gains nothing.
/// </summary>
public sealed class SsoNetworkGuard(bool allowPrivateNetworks)
{
    public bool AllowsPrivateNetworks => allowPrivateNetworks;

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The addresses of <paramref name="host"/> that may be used; throws when there are none.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = allowPrivateNetworks ? addresses : addresses.Where(a => !IsPrivate(a)).ToArray();
        return allowed.Length > 0 ? allowed : throw new PrivateNetworkAddressException(host);
    }

    /// <summary>
    /// Loopback, private, link-local, unique-local, CGNAT, unspecified, multicast and reserved addresses, also
    /// written as IPv6 (mapped, compatible or NAT64).
    /// </summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            if (address.IsIPv4MappedToIPv6 || IsEmbeddedIPv4(bytes))
            {
                return IsPrivateIPv4(bytes.AsSpan(12));
            }

            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        return address.AddressFamily != AddressFamily.InterNetwork || IsPrivateIPv4(address.GetAddressBytes());
    }

    // ::a.b.c.d (deprecated "compatible", which also covers :: and ::1) and 64:ff9b::a.b.c.d (NAT64) reach IPv4.
    private static bool IsEmbeddedIPv4(byte[] v6) =>
        v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0
        || (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0);

    private static bool IsPrivateIPv4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 or 10 or 127 => true,
        100 => b[1] is >= 64 and < 128,
        169 => b[1] == 254,
        172 => b[1] is >= 16 and < 32,
        192 => b[1] == 168,
        >= 224 => true,
        _ => false,
    };
}

/// <summary>The host resolves only to addresses the guard refuses.</summary>
public sealed class PrivateNetworkAddressException(string host)
    : IOException($"'{host}' is on a private or loopback network; set {SsoHttp.AllowPrivateNetworkIssuersKey} to allow it.");
