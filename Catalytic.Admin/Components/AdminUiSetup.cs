using Catalytic.Admin.Sso;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor.Services;

namespace Catalytic.Admin.Components;

public static class AdminUiSetup
{
    public static IServiceCollection AddAdminUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        // Open circuits lose their session as soon as the account is deactivated, deleted or demoted.
        services.AddScoped<AuthenticationStateProvider, SessionRevalidator>();
        return services;
    }

    /// <summary>
    /// The "not found" page is for people browsing. A failed form post (e.g. a bad antiforgery token) keeps its
    /// plain status: re-running the pipeline for it would read the refused form again.
    /// </summary>
    public static IApplicationBuilder UseStatusCodePagesForPageViewsOnly(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } feature)
            {
                feature.Enabled = false;
            }

            return next(context);
        });
}
