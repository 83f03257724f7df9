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
                .Use(NotFoundWithoutEndpoint)
                .UseMiddleware<ScimBearerAuthentication>()
                .Run(context => context.GetEndpoint()!.RequestDelegate!(context)));

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
