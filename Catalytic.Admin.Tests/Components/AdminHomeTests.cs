using Bunit;
using Catalytic.Admin.Components.Pages.Admin;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Components;

public sealed class AdminHomeTests : ComponentTestBase
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private DateTime Now => App.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public void AdminHome_ForAdmin_LinksToSsoSettings()
    {
        var page = RenderPage();
        Assert.NotNull(page.Find("a[href='/admin/sso']"));
    }

    [Fact]
    public void AdminHome_LinksToUsersAndActivity()
    {
        var page = RenderPage();

        Assert.NotEmpty(page.FindAll("a[href='/admin/users']"));
        Assert.NotEmpty(page.FindAll("a[href='/admin/activity']"));
        Assert.NotNull(page.Find("[data-testid='stat-failed'] a[href='/admin/activity?outcome=failed']"));
    }

    [Fact]
    public async Task Counts_ShowActiveDeactivatedAndProvisionedInTheLastDay()
    {
        var directory = App.Get<UserDirectory>();
        await App.CreateUserAsync(Team, "old", UserSource.Idp);
        App.Clock.Advance(TimeSpan.FromDays(2));
        await App.CreateUserAsync(Team, "fresh", UserSource.Idp);
        await App.CreateUserAsync(Team, "byhand");
        var gone = await App.CreateUserAsync(Team, "gone", UserSource.Idp);
        await directory.SetActiveAsync(Team.Id, gone.Id, false, UserSource.Idp, Ct);

        var page = RenderPage();

        Assert.Equal("4", Stat(page, "stat-active")); // the local admin, old, fresh, byhand
        Assert.Equal("1", Stat(page, "stat-deactivated"));
        Assert.Equal("2", Stat(page, "stat-provisioned")); // fresh and gone; byhand was created by an admin
    }

    [Fact]
    public async Task ScimSummary_ShowsFailuresOfTheLastDayAndTheLastRequest()
    {
        var log = App.Get<ProvisioningLog>();
        log.Record(Event(Now.AddDays(-2), "create", 500));
        log.Record(Event(Now.AddHours(-3), "create", 409));
        log.Record(Event(Now.AddMinutes(-10), "lookup", 200));
        await log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Equal("1", Stat(page, "stat-failed"));
        Assert.Contains("lookup", page.ByTestId("last-request").TextContent, StringComparison.Ordinal);
        Assert.Contains("10 min ago", page.ByTestId("last-request").TextContent, StringComparison.Ordinal);
        Assert.EndsWith("24 h: 2", page.ByTestId("requests-24h").TextContent.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void NewTeam_ShowsScimOffAndNoRequestYet()
    {
        var page = RenderPage();

        Assert.Equal("Off", page.ByTestId("scim-state").TextContent.Trim());
        Assert.Contains("never", page.ByTestId("last-request").TextContent, StringComparison.Ordinal);
        Assert.Contains("not configured", page.ByTestId("scim-card").TextContent, StringComparison.Ordinal);
        Assert.Equal("0", Stat(page, "stat-failed"));
        Assert.False(page.Has("token-warning"));
    }

    [Fact]
    public async Task ScimOn_ShowsOnWithoutWarnings()
    {
        await App.EnableScimAsync(Team);

        var page = RenderPage();

        Assert.Equal("On", page.ByTestId("scim-state").TextContent.Trim());
        Assert.False(page.Has("token-warning"));
    }

    [Fact]
    public async Task TokenInItsGracePeriod_WarnsWhenItStopsWorking()
    {
        await App.EnableScimAsync(Team);
        await App.Get<ScimTokenService>().RotateAsync(Team.Id, TimeSpan.FromHours(2), Ct);

        var page = RenderPage();

        var warning = page.ByTestId("token-warning").TextContent;
        Assert.Contains("stops working in 2 h", warning, StringComparison.Ordinal);
        Assert.Contains("current token", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OldTokenStillUsedAfterRotation_SaysTheIdpHasNotBeenUpdated()
    {
        var tokens = App.Get<ScimTokenService>();
        var old = await App.EnableScimAsync(Team);
        await tokens.RotateAsync(Team.Id, TimeSpan.FromHours(2), Ct);
        App.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True((await tokens.ValidateAsync(old, Team.Slug, Ct)).Succeeded);

        var page = RenderPage();

        Assert.Contains("still used it just now", page.ByTestId("token-warning").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScimOnWithEveryTokenRevoked_WarnsThatThereIsNoCurrentToken()
    {
        await App.EnableScimAsync(Team);
        var tokens = App.Get<ScimTokenService>();
        foreach (var token in (await tokens.GetStatusAsync(Team.Id, Ct)).LiveTokens)
        {
            await tokens.RevokeAsync(Team.Id, token.Id, Ct);
        }

        var page = RenderPage();

        Assert.Contains("no current token", page.ByTestId("token-warning").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedAuthentications_ShowPerSourceCounts_AndTheHint()
    {
        var refusals = App.Get<ScimAuthFailureLog>();
        refusals.Count(Team.Id, "192.0.2.7");
        App.Clock.Advance(TimeSpan.FromDays(2));
        for (var i = 0; i < 3; i++)
        {
            refusals.Count(Team.Id, "203.0.113.9");
        }

        var otherTeam = await App.CreateTeamAsync("globex");
        refusals.Count(otherTeam.Id, "198.51.100.1");
        await refusals.FlushAsync(Ct);

        var page = RenderPage();

        var rows = page.AllByTestId("refused-source").Select(r => r.TextContent).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("203.0.113.9", rows[0], StringComparison.Ordinal); // latest first
        Assert.Equal("3", page.AllByTestId("refused-source")[0].QuerySelectorAll("td")[1].TextContent.Trim());
        Assert.Contains("2 days ago", rows[1], StringComparison.Ordinal);
        Assert.DoesNotContain("198.51.100.1", page.Markup, StringComparison.Ordinal);
        var summary = page.ByTestId("refused-summary").TextContent;
        Assert.Contains("1 of 2 source(s) refused in the last 24 h", summary, StringComparison.Ordinal);
        Assert.Contains("4 refused in total", summary, StringComparison.Ordinal);
        Assert.Contains("old token", page.ByTestId("refused-hint").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid='refused-hint'] a[href='/admin/sso']"));
    }

    [Fact]
    public void NoRefusedAuthentications_ShowsNoRefusalCard()
    {
        var page = RenderPage();

        Assert.False(page.Has("refused-auth"));
    }

    [Fact]
    public async Task Counts_FollowScimChangesWithoutReload()
    {
        var page = RenderPage();
        Assert.Equal("1", Stat(page, "stat-active"));

        await App.CreateUserAsync(Team, "newcomer", UserSource.Idp);
        var log = App.Get<ProvisioningLog>();
        log.Record(Event(Now, "create", 201));
        await log.FlushAsync(Ct);

        page.Eventually(() =>
        {
            Assert.Equal("2", Stat(page, "stat-active"));
            Assert.Equal("1", Stat(page, "stat-provisioned"));
            Assert.Contains("create", page.ByTestId("last-request").TextContent, StringComparison.Ordinal);
        });
    }

    private IRenderedComponent<AdminHome> RenderPage()
    {
        SignInAsAdmin();
        var page = Render<AdminHome>();
        page.Eventually(() => Assert.True(page.Has("scim-card")));
        return page;
    }

    private static string Stat(IRenderedComponent<AdminHome> page, string testId) =>
        page.Find($"[data-testid='{testId}'] [data-testid='stat-value']").TextContent.Trim();

    private ProvisioningEvent Event(DateTime at, string operation, int status) => TestEvents.UsersRequest(Team, at, operation, status);
}
