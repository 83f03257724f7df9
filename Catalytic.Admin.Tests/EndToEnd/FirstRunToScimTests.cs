using System.Net;
using System.Net.Http.Headers;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Catalytic.Admin.Tests.EndToEnd;

/// <summary>
/// The whole admin journey in Chromium: first-run setup, SSO against the test identity provider, SCIM on,
/// the token revealed and copied, and an identity provider's first SCIM call made with what was copied.
/// </summary>
public sealed class FirstRunToScimTests(TestIdentityProvider idp, BrowserFixture browsers) : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private string baseUrl = null!;

    public ValueTask InitializeAsync()
    {
        baseUrl = app.StartKestrel();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task NewAdmin_CompletesSetup_ConnectsSso_TurnsScimOn_AndTheCopiedTokenWorks()
    {
        await using var context = await browsers.NewContextAsync();
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = baseUrl });
        var page = await context.NewPageAsync();

        // First run: the one-time code is the one the server logs at start-up.
        await page.GotoAsync($"{baseUrl}/setup?code={app.Get<FirstRunSetup>().Code}");
        await page.FillAsync("#team-name", "Acme Corp");
        await page.FillAsync("#team-slug", "acme");
        await page.FillAsync("#admin-username", "ada");
        await page.FillAsync("#admin-password", AppFactory.AdminPassword);
        await page.FillAsync("#admin-password2", AppFactory.AdminPassword);
        await page.ClickAsync("[data-testid=setup-submit]");
        await page.WaitForURLAsync($"{baseUrl}/admin/sso");
        await WaitUntilInteractiveAsync(page);

        // SSO: register the redirect URI the page shows, then fill the form with what the provider gave back.
        var redirectUri = await page.InnerTextAsync("[data-testid=redirect-uri]");
        Assert.Equal($"{baseUrl}/signin-oidc/acme", redirectUri);
        var client = await idp.RegisterClientAsync(redirectUri);
        await Expect(page.Locator("[data-testid=scim-toggle] input")).ToBeDisabledAsync();
        await page.FillAsync("#sso-issuer", idp.Issuer);
        await page.FillAsync("#sso-client-id", client.ClientId);
        await page.FillAsync("#sso-client-secret", client.ClientSecret);
        await page.ClickAsync("[data-testid=save-sso]");
        await Expect(page.Locator("[data-testid=sso-status]")).ToHaveTextAsync("SSO configured");
        Assert.DoesNotContain(client.ClientSecret, await page.ContentAsync(), StringComparison.Ordinal);

        // A real test sign-in through the provider's page.
        await page.ClickAsync("[data-testid=test-sign-in]");
        await page.WaitForURLAsync(url => url.StartsWith(idp.Issuer, StringComparison.Ordinal));
        await page.FillAsync("#username", "ada.lovelace");
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync($"{baseUrl}/admin/sso?test=ok");
        await WaitUntilInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=last-test-sign-in]")).ToContainTextAsync("ada.lovelace");

        // SCIM on: the first token appears, masked.
        await page.ClickAsync("[data-testid=scim-toggle] input");
        var tokenValue = page.Locator("[data-testid=token-value]");
        await Expect(tokenValue).ToContainTextAsync("••••");

        await page.ClickAsync("[data-testid=reveal-token]");
        await Expect(tokenValue).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^scim_[A-Za-z0-9_-]{43}$"));
        var revealed = await tokenValue.InnerTextAsync();

        await page.ClickAsync("[data-testid=copy-token]");
        await Expect(page.Locator(".mud-snackbar", new() { HasText = "token copied to the clipboard" })).ToBeVisibleAsync();
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(revealed, copied);

        // What an identity provider does with the two values.
        var scimBaseUrl = await page.InnerTextAsync("[data-testid=scim-base-url]");
        Assert.Equal($"{baseUrl}/scim/v2/acme", scimBaseUrl);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, scimBaseUrl + "/ServiceProviderConfig");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", copied);
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Hidden again, the value is gone from the page.
        await page.ClickAsync("[data-testid=reveal-token]");
        await Expect(tokenValue).ToContainTextAsync("••••");
        Assert.DoesNotContain(copied, await page.ContentAsync(), StringComparison.Ordinal);
    }

    internal static Task WaitUntilInteractiveAsync(IPage page) =>
        page.Locator("[data-testid=interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
}
