using System.Buffers.Text;
using System.Security.Cryptography;
using Catalytic.Admin.Scim;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Catalytic.Admin;

/// <summary>
/// The browser-facing security headers of every response (pages, static files, sign-in endpoints, SCIM), and no
/// <c>Server</c> header.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceItem = "catalytic.csp-nonce";

    // MudBlazor writes style attributes and a <style> element for its theme at run time, so styles need
    // 'unsafe-inline'; scripts do not: every script is a file, and the one inline script (the import map) carries
    // the request's nonce. 'self' covers the Blazor circuit's same-origin ws:/wss: connection (CSP3). A 302 to the
    // identity provider is a navigation, not a form submission, so form-action 'self' keeps SSO working.
    private const string PagePolicyBeforeNonce = "default-src 'self'; script-src 'self' 'nonce-";
    private const string PagePolicyAfterNonce = "'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // SCIM answers JSON to identity providers: nothing in it may load or be framed.
    private const string ScimPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// strict-origin-when-cross-origin: another site never sees a path or query (the one-time setup code, error
    /// reasons), only the origin. no-referrer would also make browsers send "Origin: null" on the app's own form
    /// posts, which origin checks against cross-site requests rely on.
    /// </summary>
    private const string ReferrerPolicy = "strict-origin-when-cross-origin";

    private const string HstsValue = "max-age=31536000";

    public static IServiceCollection AddSecurityHeaders(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(options => options.AddServerHeader = false);

    /// <summary>
    /// Put it after the forwarded headers (HSTS needs the scheme the client used) and before the exception handler,
    /// whose error page clears the response headers: the headers are written when the response starts, whatever
    /// ran before.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        var sendHsts = !app.ApplicationServices.GetRequiredService<IWebHostEnvironment>().IsDevelopment();
        return app.Use((context, next) =>
        {
            var isScim = context.Request.Path.StartsWithSegments(ScimEndpoints.PathPrefix, StringComparison.OrdinalIgnoreCase);
            var policy = isScim ? ScimPolicy : PagePolicyBeforeNonce + CreateNonce(context) + PagePolicyAfterNonce;
            var hsts = sendHsts && context.Request.IsHttps;
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = ReferrerPolicy;
                if (hsts)
                {
                    headers.StrictTransportSecurity = HstsValue;
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
    }

    /// <summary>The nonce that lets this response's inline script (the import map) run.</summary>
    public static string CspNonce(this HttpContext context) =>
        context.Items[NonceItem] as string ?? throw new InvalidOperationException("UseSecurityHeaders did not run for this request.");

    private static string CreateNonce(HttpContext context)
    {
        // base64url: nothing in it that HTML attribute encoding would change.
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceItem] = nonce;
        return nonce;
    }
}
