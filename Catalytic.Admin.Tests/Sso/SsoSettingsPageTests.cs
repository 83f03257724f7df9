using System.Net;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>What the SSO Settings page sends to the browser before anyone clicks anything.</summary>
public sealed class SsoSettingsPageTests(AppFactory app, TestIdentityProvider idp) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Page_ForAnAdmin_NeverContainsTheClientSecretOrTheScimToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var team = await app.CreateTeamAsync("t" + Guid.NewGuid().ToString("N")[..10]);
        var client = await app.ConnectSsoAsync(team, idp);
        var token = await app.EnableScimAsync(team);
        using var browser = app.CreateBrowserClient();
        await AppFactory.PostLoginAsync(browser, team.Slug, team.AdminUserName, AppFactory.AdminPassword);

        var response = await browser.GetAsync("/admin/sso", ct);
        var html = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("SSO configured", html, StringComparison.Ordinal);
        Assert.Contains($"{AppFactory.BrowserBase}/scim/v2/{team.Slug}", html, StringComparison.Ordinal);
        Assert.DoesNotContain(client.ClientSecret, html, StringComparison.Ordinal);
        Assert.DoesNotContain(token, html, StringComparison.Ordinal);
    }
}
