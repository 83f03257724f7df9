using Catalytic.Admin.Provisioning;
using Microsoft.AspNetCore.Authentication;

namespace Catalytic.Admin.Scim;

public static class ScimEndpoints
{
    public const string Policy = "Scim";

    /// <summary>Every team's SCIM endpoint lives under this path.</summary>
    public const string PathPrefix = "/scim/v2";

    public static IServiceCollection AddScim(this IServiceCollection services)
    {
        services.AddSingleton<ScimTokenService>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ScimBearerHandler>(ScimBearerHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(ScimBearerHandler.SchemeName)
            .RequireAuthenticatedUser());
        return services;
    }

    /// <summary>Maps <c>/scim/v2/{team}</c>: one group, one bearer scheme, one policy pinned to it.</summary>
    public static RouteGroupBuilder MapScim(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PathPrefix + "/{team}").RequireAuthorization(Policy).DisableAntiforgery();
        group.AddEndpointFilter(AnswerUnexpectedErrorsAsScim);
        group.MapScimDiscovery();
        group.MapScimUsers();

        // Anything else under the team's endpoint (Groups, Bulk, Me, typos) is a SCIM 404, never the app's HTML page.
        group.Map("/{**path}", NotFound);
        return group;
    }

    /// <summary>
    /// The last resort: a bug must still give the IdP a SCIM error, not the app's HTML error page. Client input
    /// never gets here; every bad request is answered with a 4xx before.
    /// </summary>
    private static async ValueTask<object?> AnswerUnexpectedErrorsAsScim(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        try
        {
            return await next(invocation);
        }
        catch (Exception e) when (e is not OperationCanceledException || !invocation.HttpContext.RequestAborted.IsCancellationRequested)
        {
            invocation.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ScimEndpoints))
                .LogError(e, "SCIM request {Method} {Path} failed", invocation.HttpContext.Request.Method, invocation.HttpContext.Request.Path);
            return new ScimErrorResult(StatusCodes.Status500InternalServerError, null, "The request could not be completed because of an error on our side. It was logged; try again later.");
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

    /// <summary>Records SCIM requests, refused ones included; placed before authentication.</summary>
    public static IApplicationBuilder UseScimActivityRecording(this IApplicationBuilder app) =>
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments(PathPrefix, StringComparison.OrdinalIgnoreCase),
            branch => branch.UseMiddleware<ProvisioningRecorderMiddleware>());
}
