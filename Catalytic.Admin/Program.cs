using Catalytic.Admin;
using Catalytic.Admin.Cli;
using Catalytic.Admin.Components;
using Catalytic.Admin.Data;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using MudBlazor.Services;

var isCli = AdminCli.IsInvocation(args);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = isCli ? [] : args,
    // appsettings.json sits beside the binary (linked from the repository root), for dotnet run and published alike.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.WebHost.UseStaticWebAssets();
builder.WebHost.ConfigureScimRequestLimits();
if (isCli)
{
    AdminCli.ConfigureLogging(builder.Logging);
}

builder.Services.Configure<AppOptions>(builder.Configuration.GetSection(AppOptions.Section));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<PublicUrls>();
builder.Services.AddAdminData(builder.Configuration);
builder.Services.AddSsoHttp();

builder.Services.AddSingleton<FirstRunSetup>();
builder.Services.AddSingleton<TeamService>();
builder.Services.AddSingleton<UserChangeNotifier>();
builder.Services.AddSingleton<UserDirectory>();
builder.Services.AddSingleton<DiscoveryVerifier>();
builder.Services.AddSingleton<SsoConnectionService>();
builder.Services.AddSingleton<PasswordLockouts>();
builder.Services.AddSingleton<UserSessions>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<UserSessions>());
builder.Services.AddSingleton<ProvisioningLog>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ProvisioningLog>());

builder.Services.AddAppAuthentication();
builder.Services.AddScim();
builder.Services.AddAdminUi();
builder.Services.AddReverseProxySupport(builder.Configuration);
builder.Services.AddSecurityHeaders();

var app = builder.Build();
await app.Services.MigrateDatabaseAsync();

if (isCli)
{
    return await AdminCli.RunAsync(app.Services, args);
}

await app.Services.GetRequiredService<FirstRunSetup>().AnnounceIfNeededAsync(app.Services);

app.UseReverseProxySupport();
app.UseSecurityHeaders();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}

app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseStatusCodePagesForPageViewsOnly();
app.UseRouting();
// SCIM requests leave here: activity record, bearer token, endpoint (the rest below is for the pages).
app.UseScim();
app.UseCookiePolicy();
app.UseMiddleware<TeamOidcCallbackMiddleware>();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapScim();
app.MapAuthEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
return 0;
