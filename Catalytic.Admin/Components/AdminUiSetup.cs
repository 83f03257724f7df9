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
}
