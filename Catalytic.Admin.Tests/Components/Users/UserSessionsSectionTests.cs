using Bunit;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Components.Users;

/// <summary>The "Sessions" section of the user's panel: listing, revoking one, signing out everywhere.</summary>
public sealed class UserSessionsSectionTests : UsersPageTestBase
{
    private const string FirefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

    private UserSessions Sessions => App.Get<UserSessions>();

    [Fact]
    public async Task Panel_ListsTheUsersOpenSessions_WithMethodTimesAddressAndBrowser()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var erin = await App.CreateUserAsync(Team, "erin", UserSource.Idp);
        await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.PasswordMethod, "192.0.2.10", null, Ct);
        App.Clock.Advance(TimeSpan.FromMinutes(30));
        await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.SsoMethod, "198.51.100.4", FirefoxOnLinux, Ct);
        await Sessions.StartAsync(Team.Id, erin.Id, AuthSetup.SsoMethod, "203.0.113.9", null, Ct);
        var ended = await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.SsoMethod, "203.0.113.99", null, Ct);
        Assert.True(await Sessions.RevokeAsync(Team.Id, ended.Id, ct: Ct));
        App.Clock.Advance(TimeSpan.FromMinutes(10));
        var page = RenderPage();

        OpenDrawer(page, "dana");

        page.Eventually(() => Assert.Equal(2, page.AllByTestId("session-item").Count));
        var items = page.AllByTestId("session-item");
        Assert.Equal("SSO", items[0].QuerySelector("[data-testid='session-method']")!.TextContent.Trim());
        Assert.Contains("Signed in 10 min ago", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("198.51.100.4 · Firefox on Linux", items[0].QuerySelector("[data-testid='session-client']")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("Password", items[1].QuerySelector("[data-testid='session-method']")!.TextContent.Trim());
        Assert.Contains("Signed in 40 min ago", items[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("192.0.2.10 · unknown browser", items[1].TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113", page.ByTestId("sessions").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Panel_ForAUserSignedInNowhere_SaysSo()
    {
        await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();

        OpenDrawer(page, "dana");

        page.Eventually(() => Assert.True(page.Has("sessions-empty")));
        Assert.False(page.Has("sign-out-everywhere"));
    }

    [Fact]
    public async Task Revoke_EndsOnlyThatSession()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var older = await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.SsoMethod, "192.0.2.10", null, Ct);
        App.Clock.Advance(TimeSpan.FromMinutes(1));
        var newer = await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.SsoMethod, "192.0.2.20", null, Ct);
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.Eventually(() => Assert.Equal(2, page.AllByTestId("session-item").Count));

        page.AllByTestId("revoke-session")[0].Click();

        page.Eventually(() => Assert.Single(page.AllByTestId("session-item")));
        Assert.Contains("192.0.2.10", page.ByTestId("session-item").TextContent, StringComparison.Ordinal);
        Assert.False(await Sessions.IsActiveAsync(Team.Id, dana.Id, newer.Id, touch: false, Ct));
        Assert.True(await Sessions.IsActiveAsync(Team.Id, dana.Id, older.Id, touch: false, Ct));
    }

    [Fact]
    public async Task SignOutEverywhere_EndsEverySessionOfTheUser()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var erin = await App.CreateUserAsync(Team, "erin");
        await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.SsoMethod, null, null, Ct);
        await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.PasswordMethod, null, null, Ct);
        var theirs = await Sessions.StartAsync(Team.Id, erin.Id, AuthSetup.SsoMethod, null, null, Ct);
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.Eventually(() => Assert.Equal(2, page.AllByTestId("session-item").Count));

        page.ByTestId("sign-out-everywhere").Click();

        page.Eventually(() => Assert.True(page.Has("sessions-empty")));
        Assert.Empty(await Sessions.ListActiveAsync(Team.Id, dana.Id, Ct));
        Assert.True(await Sessions.IsActiveAsync(Team.Id, erin.Id, theirs.Id, touch: false, Ct));
    }

    [Fact]
    public async Task ASignInOrADeactivationElsewhere_ShowsUpWhileThePanelIsOpen()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.Eventually(() => Assert.True(page.Has("sessions-empty")));

        await Sessions.StartAsync(Team.Id, dana.Id, AuthSetup.SsoMethod, "192.0.2.10", null, Ct);
        page.Eventually(() => Assert.Single(page.AllByTestId("session-item")));

        Assert.True((await Directory.SetActiveAsync(Team.Id, dana.Id, false, UserSource.Idp, Ct)).Succeeded);
        page.Eventually(() => Assert.True(page.Has("sessions-empty")));
        Assert.Empty(await Sessions.ListActiveAsync(Team.Id, dana.Id, Ct));
    }
}
