using MudBlazor.Services;

namespace Catalytic.Admin.Components;

public static class AdminUiSetup
{
    public static IServiceCollection AddAdminUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        return services;
    }
}
