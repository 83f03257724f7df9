using System.Security.Claims;
using Bunit;
using Catalytic.Admin.Sso;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>
/// bUnit base: MudBlazor services, loose JS interop (clipboard calls are asserted, not run), and the real
/// app's services over its own SQLite file, behind the component under test. No mocks of our own services.
/// </summary>
public abstract class ComponentTestBase : BunitContext, IAsyncLifetime
{
    // WaitFor* returns as soon as its condition holds; this is only the ceiling, generous for a loaded 2-core machine
    // where real SQLite (and, for SSO, a real discovery request) sit behind the components.
    static ComponentTestBase() => DefaultWaitTimeout = TimeSpan.FromSeconds(15);

    protected ComponentTestBase()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        // MudBlazor registers the system clock; components must see the app's (the test's) clock.
        Services.AddSingleton<TimeProvider>(App.Clock);
        Services.AddFallbackServiceProvider(App.Services);
    }

    protected AppFactory App { get; } = new();

    protected TestTeam Team { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync() => Team = await App.CreateTeamAsync();

    /// <summary>Signs the rendered components in as the team's admin (or as <paramref name="userName"/>).</summary>
    protected void SignInAsAdmin(Guid? userId = null, string? userName = null) => SignIn(userId, userName ?? Team.AdminUserName, admin: true);

    protected void SignInAsMember(Guid userId, string userName) => SignIn(userId, userName, admin: false);

    /// <summary>Renders the MudBlazor providers that dialogs, popovers and snackbars need; returns the dialogs' one.</summary>
    protected IRenderedComponent<MudBlazor.MudDialogProvider> RenderMudProviders()
    {
        Render<MudBlazor.MudPopoverProvider>();
        var dialogs = Render<MudBlazor.MudDialogProvider>();
        Render<MudBlazor.MudSnackbarProvider>();
        return dialogs;
    }

    private void SignIn(Guid? userId, string userName, bool admin)
    {
        var auth = AddAuthorization();
        auth.SetAuthorized(userName);
        if (admin)
        {
            auth.SetRoles(AuthSetup.AdminRole);
            auth.SetPolicies(AuthSetup.AdminPolicy);
        }

        // After the roles: setting roles rebuilds the principal without the claims set before.
        auth.SetClaims(
            new Claim(ClaimTypes.NameIdentifier, (userId ?? Guid.NewGuid()).ToString()),
            new Claim(AuthSetup.TeamIdClaim, Team.Id.ToString()),
            new Claim(AuthSetup.TeamSlugClaim, Team.Slug));
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
