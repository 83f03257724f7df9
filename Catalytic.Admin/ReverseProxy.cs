using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin;

/// <summary>
/// Which address a request came to: X-Forwarded-* from known proxies only, then the host checked against
/// <c>AllowedHosts</c>. The host decides the SCIM <c>meta.location</c> and the OIDC redirect URI whenever
/// <c>Catalytic:PublicBaseUrl</c> is empty.
/// </summary>
public static class ReverseProxy
{
    public const string AllowedHostsKey = "AllowedHosts";

    /// <summary>
    /// Trusts X-Forwarded-* from loopback by default, plus the proxies and networks listed in
    /// <c>ForwardedHeaders:KnownProxies</c> (IP addresses) and <c>ForwardedHeaders:KnownNetworks</c> (CIDR).
    /// From anyone else the headers are ignored.
    /// </summary>
    public static IServiceCollection AddReverseProxySupport(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [];
        var networks = configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [];
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });

        // Read on every configuration reload, like the framework's own fallback that this replaces.
        services.AddOptions<HostFilteringOptions>().Configure<IConfiguration>((options, config) => options.AllowedHosts = AllowedHosts(config));

        // The framework filters hosts first of all, on the Host header the proxy sent. UseReverseProxySupport filters
        // after the forwarded headers instead, so the host checked is the one the client asked for.
        foreach (var filter in services.Where(IsFrameworkHostFilter).ToList())
        {
            services.Remove(filter);
        }

        return services;
    }

    /// <summary>Forwarded headers, then host filtering; first in the pipeline.</summary>
    public static IApplicationBuilder UseReverseProxySupport(this IApplicationBuilder app)
    {
        WarnIfAnyHostIsTrusted(app.ApplicationServices);
        return app.UseForwardedHeaders().UseHostFiltering();
    }

    /// <summary>
    /// <c>AllowedHosts</c> (semicolon-separated, "*" for any) plus the host of <c>Catalytic:PublicBaseUrl</c>, so
    /// that setting the public address is enough for a real host. Unset or "*": any host.
    /// </summary>
    public static List<string> AllowedHosts(IConfiguration config)
    {
        var hosts = (config[AllowedHostsKey] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (hosts.Count == 0 || hosts.Contains("*"))
        {
            return ["*"];
        }

        if (Uri.TryCreate(config[$"{AppOptions.Section}:{nameof(AppOptions.PublicBaseUrl)}"], UriKind.Absolute, out var publicBase))
        {
            hosts.Add(publicBase.Host);
        }

        return hosts;
    }

    private static bool IsFrameworkHostFilter(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IStartupFilter)
        && descriptor.ImplementationType is { Name: "HostFilteringStartupFilter" } type
        && type.Assembly == typeof(WebApplication).Assembly;

    private static void WarnIfAnyHostIsTrusted(IServiceProvider services)
    {
        var environment = services.GetRequiredService<IWebHostEnvironment>();
        var publicBaseUrl = services.GetRequiredService<IOptions<AppOptions>>().Value.PublicBaseUrl;
        var allowed = services.GetRequiredService<IOptions<HostFilteringOptions>>().Value.AllowedHosts;
        if (environment.IsProduction() && string.IsNullOrWhiteSpace(publicBaseUrl) && allowed.Contains("*"))
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ReverseProxy)).LogWarning(
                "Neither Catalytic:PublicBaseUrl nor AllowedHosts is set: any Host header is accepted and decides the SCIM and "
                + "sign-in addresses the app hands out. Set Catalytic:PublicBaseUrl to the public address, or AllowedHosts to its host name.");
        }
    }
}
