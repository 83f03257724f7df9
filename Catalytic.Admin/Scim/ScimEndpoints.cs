using Catalytic.Admin.Provisioning;

namespace Catalytic.Admin.Scim;

public static class ScimEndpoints
{
    /// <summary>Every team's SCIM endpoint lives under this path.</summary>
    public const string PathPrefix = "/scim/v2";

    public static IServiceCollection AddScim(this IServiceCollection services) =>
        services.AddSingleton<ScimTokenService>()
            .AddSingleton<ScimThrottle>()
            .AddSingleton<ScimAuthFailureLog>()
            .AddHostedService(sp => sp.GetRequiredService<ScimAuthFailureLog>());

    /// <summary>Kestrel's request line may be this long: an 8,192-character filter percent-encoded at worst (×3) and the rest of the URL.</summary>
    public const int MaxRequestLineBytes = 32 * 1024;

    /// <summary>All request headers together may be this large.</summary>
    public const int MaxRequestHeadersBytes = 64 * 1024;

    /// <summary>
    /// Kestrel's defaults (an 8 KB request line, 32 KB of headers) answer a bare 414 or 431 before the app sees
    /// the request, so the documented filter limit (<see cref="Filters.ScimFilterParser.MaxLength"/> characters,
    /// refused by the app with a SCIM 400 <c>invalidFilter</c>) could never be reached. Kestrel's limits apply to
    /// the whole server, before routing; the pages gain nothing from them and lose nothing either.
    /// </summary>
    public static IWebHostBuilder ConfigureScimRequestLimits(this IWebHostBuilder host) =>
        host.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
        });

    /// <summary>
    /// Maps <c>/scim/v2/{team}</c>. These routes are reached only through <see cref="UseScim"/>, which checks the
    /// team's bearer token before any of them runs.
    /// </summary>
    public static RouteGroupBuilder MapScim(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PathPrefix + "/{team}");
        group.MapScimDiscovery();
        group.MapScimUsers();

        // Anything else under the team's endpoint (Groups, Bulk, Me, typos) is a SCIM 404, never the app's HTML page.
        group.Map("/{**path}", NotFound);
        return group;
    }

    /// <summary>
    /// Takes every request under <see cref="PathPrefix"/> out of the app's pipeline once routing has chosen its
    /// endpoint: record it for the team's activity log, check the bearer token and the limits, run the endpoint. IdPs never
    /// use the pages' cookies, antiforgery, sign-in throttling or policies, so SCIM requests skip all of it.
    /// </summary>
    public static IApplicationBuilder UseScim(this IApplicationBuilder app) =>
        app.MapWhen(
            context => context.Request.Path.StartsWithSegments(PathPrefix, StringComparison.OrdinalIgnoreCase),
            scim => scim
                .UseMiddleware<ProvisioningRecorderMiddleware>()
                .Use(AnswerUnexpectedErrorsAsScim)
                .Use(WithoutBodyForHead)
                .Use(NotFoundWithoutEndpoint)
                .UseMiddleware<ScimBearerAuthentication>()
                .Run(context => context.GetEndpoint()!.RequestDelegate!(context)));

    /// <summary>A read route that also answers HEAD (RFC 9110 §9.3.2): the same status and headers as GET, no body.</summary>
    public static RouteHandlerBuilder MapScimGet(this RouteGroupBuilder group, string pattern, Delegate handler) =>
        group.MapMethods(pattern, [HttpMethods.Get, HttpMethods.Head], handler);

    /// <summary>
    /// A HEAD request runs its GET handler; what the handler writes is thrown away here, so every server (Kestrel
    /// already drops it, the test server would not) answers with headers only.
    /// </summary>
    private static Task WithoutBodyForHead(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Body = Stream.Null;
        }

        return next(context);
    }

    /// <summary>
    /// A URL no SCIM route matches (<c>/scim/v2</c> without a team) is a SCIM 404 before any token check: the
    /// URL is what the IdP admin has to fix.
    /// </summary>
    private static Task NotFoundWithoutEndpoint(HttpContext context, RequestDelegate next) =>
        context.GetEndpoint()?.RequestDelegate is null ? NotFound(context).ExecuteAsync(context) : next(context);

    /// <summary>
    /// The last resort: a bug must still give the IdP a SCIM error, not the app's HTML error page. Client input
    /// never gets here; every bad request is answered with a 4xx before.
    /// </summary>
    private static async Task AnswerUnexpectedErrorsAsScim(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ScimEndpoints))
                .LogError(e, "SCIM request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted)
            {
                // Part of the answer is on its way: all that is left is to cut it short.
                throw;
            }

            context.Response.Clear();
            await new ScimErrorResult(StatusCodes.Status500InternalServerError, null, "The request could not be completed because of an error on our side. It was logged; try again later.").ExecuteAsync(context);
        }
    }

    public static ScimErrorResult NotFound(HttpContext context)
    {
        ProvisioningContext.Get(context)?.Operation = "other";
        return new ScimErrorResult(
            StatusCodes.Status404NotFound,
            null,
            $"There is no SCIM endpoint at '{ScimRequest.Shorten(context.Request.Path.Value ?? "")}'. This service implements /Users, /ServiceProviderConfig, /ResourceTypes and /Schemas.");
    }

    /// <summary>A 405 handler for a route that exists but does not take this method, with the methods it does take.</summary>
    public static Func<HttpContext, ScimErrorResult> MethodNotAllowed(string allowed) => context =>
    {
        context.Response.Headers.Allow = allowed;
        return new ScimErrorResult(
            StatusCodes.Status405MethodNotAllowed,
            null,
            $"{context.Request.Method} is not supported on '{ScimRequest.Shorten(context.Request.Path.Value ?? "")}'; it accepts {allowed}.");
    };
}
