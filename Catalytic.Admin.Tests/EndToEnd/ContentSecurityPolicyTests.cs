using System.Collections.Concurrent;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Catalytic.Admin.Tests.EndToEnd;

/// <summary>
/// The app in Chromium under its own Content-Security-Policy: sign-in page, local sign-in, an interactive admin page
/// over the circuit's WebSocket, a dialog, sign-out, an SSO sign-in through the provider, and not one CSP violation.
/// </summary>
public sealed class ContentSecurityPolicyTests(TestIdentityProvider idp, BrowserFixture browsers) : IAsyncLifetime
{
    // Playwright's init script runs outside the page's CSP; it reports every violation the browser raises.
    private const string ReportViolations =
        "document.addEventListener('securitypolicyviolation', e => " +
        "console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));";

    private readonly AppFactory app = new();
    private string baseUrl = null!;

    public ValueTask InitializeAsync()
    {
        baseUrl = app.StartKestrel();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task SignInAndAnAdminPage_RunUnderThePolicy_WithoutAViolation_AndTheCircuitOnAWebSocket()
    {
        var team = await app.CreateTeamAsync("acme");
        await app.ConnectSsoAsync(team, idp, baseUrl);
        // SSO signs in provisioned members only: the local admin is a password (break-glass) account.
        await app.CreateUserAsync(team, "dana", Catalytic.Admin.Users.UserSource.Idp);
        await using var context = await browsers.NewContextAsync();
        await context.AddInitScriptAsync(ReportViolations);
        var page = await context.NewPageAsync();
        var console = new ConcurrentQueue<string>();
        page.Console += (_, message) => console.Enqueue($"{message.Type}: {message.Text}");
        var sockets = new ConcurrentQueue<IWebSocket>();
        page.WebSocket += (_, socket) => sockets.Enqueue(socket);

        var login = await page.GotoAsync($"{baseUrl}/login?team={team.Slug}");
        Assert.Contains("script-src 'self' 'nonce-", await login!.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);
        await Expect(page.Locator("[data-testid=local-sign-in]")).ToBeVisibleAsync();
        await page.FillAsync("#username", team.AdminUserName);
        await page.FillAsync("#password", AppFactory.AdminPassword);
        await page.ClickAsync("[data-testid=local-sign-in]");
        await page.WaitForURLAsync($"{baseUrl}/admin", new() { WaitUntil = WaitUntilState.Commit });

        await page.GotoAsync($"{baseUrl}/admin/users");
        await FirstRunToScimTests.WaitUntilInteractiveAsync(page);
        // The page's own circuit is the last socket opened (the /admin page before it had one too).
        var circuit = sockets.Last(s => s.Url.StartsWith(baseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/_blazor", StringComparison.Ordinal));
        Assert.False(circuit.IsClosed, "The circuit's WebSocket closed.");

        await page.ClickAsync("[data-testid=create-user]");
        await Expect(page.Locator("[data-testid=user-form]")).ToBeVisibleAsync();
        // MudBlazor's theme is an inline <style> element: the app bar has the theme's colour only if styles may be inline.
        await Expect(page.Locator(".mud-appbar")).ToHaveCSSAsync("background-color", "rgb(40, 53, 147)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "catalytic-csp-admin-users.png") });
        Assert.False(circuit.IsClosed, "The circuit's WebSocket closed.");

        await page.Keyboard.PressAsync("Escape");
        await page.ClickAsync("[data-testid=sign-out]");
        await page.WaitForURLAsync($"{baseUrl}/login?team={team.Slug}");

        // SSO: a link to the app's challenge, a redirect to the provider, the provider's redirect back.
        await page.ClickAsync("[data-testid=sso-sign-in]");
        await page.WaitForURLAsync(url => url.StartsWith(idp.Issuer, StringComparison.Ordinal));
        await page.FillAsync("#username", "dana");
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(url => url.StartsWith(baseUrl + "/", StringComparison.Ordinal) && !url.Contains("/login", StringComparison.Ordinal));
        await FirstRunToScimTests.WaitUntilInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=signed-in-as]")).ToHaveTextAsync("dana");

        Assert.DoesNotContain(console, line => line.Contains("CSP violation", StringComparison.Ordinal)
            || line.Contains("Refused to", StringComparison.Ordinal)
            || line.Contains("Content Security Policy", StringComparison.Ordinal));
    }
}
