using System.Net;
using System.Net.Http.Headers;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Catalytic.Admin.Tests.EndToEnd;

/// <summary>
/// The SSO Settings page as the README shows it: configured, SCIM on, token masked, behind a public address.
/// The PNG goes to the test output folder; with CATALYTIC_UPDATE_SCREENSHOTS=1 it replaces docs/screenshots/.
/// </summary>
public sealed class SsoSettingsScreenshotTests(BrowserFixture browsers) : IAsyncLifetime
{
    private const string PublicBaseUrl = "https://admin.example.com";

    private readonly AppFactory app = new AppFactory().WithSetting("Catalytic:PublicBaseUrl", PublicBaseUrl);
    private string baseUrl = null!;

    public ValueTask InitializeAsync()
    {
        baseUrl = app.StartKestrel();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task SsoSettings_ConfiguredWithScimOn_ShowsTheTokenMasked_AndThePublicScimUrl()
    {
        var team = await app.CreateTeamAsync("acme");
        await SeedOktaLikeConnectionAsync(team);
        var token = await app.EnableScimAsync(team);
        await CallScimAsync(team, token); // so that "Last used" has a value

        await using var context = await browsers.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{baseUrl}/login?team={team.Slug}");
        await page.FillAsync("#username", team.AdminUserName);
        await page.FillAsync("#password", AppFactory.AdminPassword);
        await page.ClickAsync("[data-testid=local-sign-in]");
        // The redirect after sign-in is enough: the next step navigates on; waiting for "load" here raced it.
        await page.WaitForURLAsync($"{baseUrl}/admin", new() { WaitUntil = WaitUntilState.Commit });
        await page.GotoAsync($"{baseUrl}/admin/sso");
        await FirstRunToScimTests.WaitUntilInteractiveAsync(page);

        await Expect(page.Locator("[data-testid=sso-status]")).ToHaveTextAsync("SSO configured");
        await Expect(page.Locator("[data-testid=scim-base-url]")).ToHaveTextAsync($"{PublicBaseUrl}/scim/v2/{team.Slug}");
        await Expect(page.Locator("[data-testid=redirect-uri]")).ToHaveTextAsync($"{PublicBaseUrl}/signin-oidc/{team.Slug}");
        await Expect(page.Locator("[data-testid=token-value]")).ToContainTextAsync("••••");
        Assert.DoesNotContain(token, await page.ContentAsync(), StringComparison.Ordinal);

        // A viewport as tall as the page, so the fixed navigation drawer runs to the bottom of the picture.
        var height = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
        await page.SetViewportSizeAsync(1280, height);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("sso-settings.png") });
    }

    private async Task SeedOktaLikeConnectionAsync(TestTeam team)
    {
        // Written directly: an Okta issuer cannot be verified from a test, and the picture should look like a real setup.
        var now = app.Clock.GetUtcNow().UtcDateTime;
        await using var db = await app.DbAsync();
        db.SsoConnections.Add(new SsoConnection
        {
            TeamId = team.Id,
            Issuer = "https://acme.okta.com/oauth2/default",
            ClientId = "0oa9x2k1b7QmZ4nT5d7",
            ProtectedClientSecret = "not-a-real-secret",
            VerifiedAt = now,
            LastTestSignInAt = now,
            LastTestSignInSubject = "ada.lovelace",
            UpdatedAt = now,
        });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    private async Task CallScimAsync(TestTeam team, string token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/scim/v2/{team.Slug}/ServiceProviderConfig");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode);
    }

    private static string ScreenshotPath(string name)
    {
        var folder = Environment.GetEnvironmentVariable("CATALYTIC_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(RepositoryRoot(), "docs", "screenshots")
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Catalytic.Admin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Catalytic.Admin.sln not found above " + AppContext.BaseDirectory);
    }
}
