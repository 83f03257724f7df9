using Catalytic.Admin.Provisioning;
using Microsoft.AspNetCore.Authentication;

namespace Catalytic.Admin.Scim;

public static class ScimEndpoints
{
    public const string Policy = "Scim";

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
        var group = app.MapGroup("/scim/v2/{team}").RequireAuthorization(Policy).DisableAntiforgery();
        group.MapScimDiscovery();
        return group;
    }

    /// <summary>Records SCIM requests, refused ones included; placed before authentication.</summary>
    public static IApplicationBuilder UseScimActivityRecording(this IApplicationBuilder app) =>
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/scim/v2", StringComparison.OrdinalIgnoreCase),
            branch => branch.UseMiddleware<ProvisioningRecorderMiddleware>());
}
