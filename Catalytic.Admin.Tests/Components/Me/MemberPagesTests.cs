using Bunit;
using Catalytic.Admin.Components.Pages;
using Catalytic.Admin.Components.Pages.Me;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Components.Me;

public sealed class MemberPagesTests : ComponentTestBase
{
    private UserDirectory Directory => App.Get<UserDirectory>();

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProvisionedMember_OnFirstVisit_SeesTheWelcomeTour()
    {
        var member = await ProvisionAsync("dana");

        var home = RenderHome(member);

        Assert.Equal("Welcome aboard", home.ByTestId("tour-title").TextContent.Trim());
        Assert.True(home.ByTestId("tour-back").HasAttribute("disabled"));
    }

    [Fact]
    public async Task WelcomeTour_StepsForwardAndBack_AndShowsTheMembersDefaults()
    {
        await App.Get<ScimTokenService>().SaveDefaultsAsync(Team.Id, new ProvisioningDefaults(EmailNotifications.All, WeeklyDigest: false, ShowWelcomeTour: true), Ct);
        var member = await ProvisionAsync("dana");
        var home = RenderHome(member);

        home.ByTestId("tour-next").Click();
        Assert.Equal("Your profile", home.ByTestId("tour-title").TextContent.Trim());
        Assert.Contains("dana@example.com", home.ByTestId("welcome-tour").TextContent, StringComparison.Ordinal);
        home.ByTestId("tour-back").Click();
        Assert.Equal("Welcome aboard", home.ByTestId("tour-title").TextContent.Trim());
        home.ByTestId("tour-next").Click();
        home.ByTestId("tour-next").Click();

        Assert.Equal("Notifications", home.ByTestId("tour-title").TextContent.Trim());
        Assert.Contains("all activity", home.ByTestId("welcome-tour").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("weekly digest", home.ByTestId("welcome-tour").TextContent, StringComparison.Ordinal);
        Assert.NotNull(home.Find("[data-testid='welcome-tour'] a[href='/me/notifications']"));
    }

    [Fact]
    public async Task FinishingTheTour_RecordsItAndHidesIt()
    {
        var member = await ProvisionAsync("dana");
        var home = RenderHome(member);

        home.ByTestId("tour-next").Click();
        home.ByTestId("tour-next").Click();
        home.ByTestId("tour-finish").Click();

        home.Eventually(() => Assert.False(home.Has("welcome-tour")));
        Assert.NotNull((await Directory.FindAsync(Team.Id, member.Id, Ct))!.WelcomeTourCompletedAt);
    }

    [Fact]
    public async Task SkippingTheTour_AlsoRecordsIt_SoItDoesNotComeBack()
    {
        var member = await ProvisionAsync("dana");
        var home = RenderHome(member);

        home.ByTestId("tour-skip").Click();
        home.Eventually(() => Assert.False(home.Has("welcome-tour")));

        var again = Render<Home>();
        again.Eventually(() => Assert.True(again.Has("member-username")));
        Assert.False(again.Has("welcome-tour"));
    }

    [Fact]
    public async Task TeamThatTurnedTheTourOff_ProvisionsMembersWithoutIt()
    {
        await App.Get<ScimTokenService>().SaveDefaultsAsync(Team.Id, new ProvisioningDefaults(EmailNotifications.MentionsOnly, true, ShowWelcomeTour: false), Ct);
        var member = await ProvisionAsync("dana");

        var home = RenderHome(member);

        Assert.False(home.Has("welcome-tour"));
    }

    [Fact]
    public async Task UserCreatedByAnAdmin_GetsNoTour()
    {
        var member = await App.CreateUserAsync(Team, "dana");

        var home = RenderHome(member);

        Assert.False(home.Has("welcome-tour"));
        Assert.True(home.Has("notification-summary"));
    }

    [Fact]
    public async Task FinishingTheTour_AfterTheAccountWasDeleted_SaysTheAccountIsGone()
    {
        var member = await ProvisionAsync("dana");
        var home = RenderHome(member);
        await Directory.DeleteAsync(Team.Id, member.Id, ct: Ct);

        home.ByTestId("tour-skip").Click();

        home.Eventually(() => Assert.True(home.Has("account-missing")));
    }

    [Fact]
    public async Task Home_ShowsTheNotificationSummaryWithALinkToChangeIt()
    {
        await App.Get<ScimTokenService>().SaveDefaultsAsync(Team.Id, new ProvisioningDefaults(EmailNotifications.None, WeeklyDigest: true, ShowWelcomeTour: false), Ct);
        var member = await ProvisionAsync("dana");

        var home = RenderHome(member);

        Assert.Contains("no notifications", home.ByTestId("notification-summary").TextContent, StringComparison.Ordinal);
        Assert.Contains("weekly digest", home.ByTestId("notification-summary").TextContent, StringComparison.Ordinal);
        Assert.NotNull(home.Find("[data-testid='notification-summary'] a[href='/me/notifications']"));
    }

    [Fact]
    public async Task NotificationSettings_ArePrefilledFromTheTeamsDefaults()
    {
        await App.Get<ScimTokenService>().SaveDefaultsAsync(Team.Id, new ProvisioningDefaults(EmailNotifications.None, WeeklyDigest: false, ShowWelcomeTour: true), Ct);
        var member = await ProvisionAsync("dana");

        var settings = RenderSettings(member);

        Assert.True(RadioChecked(settings, "email-none"));
        Assert.False(RadioChecked(settings, "email-all"));
        Assert.False(settings.Find("input[data-testid='weekly-digest'], [data-testid='weekly-digest'] input").HasAttribute("checked"));
        Assert.True(settings.ByTestId("settings-save").HasAttribute("disabled"));
    }

    [Fact]
    public async Task NotificationSettings_ChangedAndSaved_AreStored()
    {
        var member = await ProvisionAsync("dana");
        var settings = RenderSettings(member);

        Choose(settings, "email-all");
        settings.Find("input[data-testid='weekly-digest'], [data-testid='weekly-digest'] input").Change(false);
        settings.ByTestId("settings-save").Click();

        settings.Eventually(() => Assert.True(settings.ByTestId("settings-save").HasAttribute("disabled")));
        var saved = (await Directory.FindAsync(Team.Id, member.Id, Ct))!;
        Assert.Equal(EmailNotifications.All, saved.EmailNotifications);
        Assert.False(saved.WeeklyDigest);
    }

    [Fact]
    public async Task NotificationSettings_SavedAfterTheAccountWasDeleted_SayTheAccountIsGone()
    {
        var member = await ProvisionAsync("dana");
        var settings = RenderSettings(member);
        Choose(settings, "email-all");
        await Directory.DeleteAsync(Team.Id, member.Id, ct: Ct);

        settings.ByTestId("settings-save").Click();

        settings.Eventually(() => Assert.True(settings.Has("account-missing")));
    }

    [Fact]
    public void NotificationSettings_ForAnAccountThatDoesNotExist_SayItIsGone()
    {
        var settings = RenderSettings(new User { Id = Guid.NewGuid(), UserName = "ghost" });

        Assert.True(settings.Has("account-missing"));
    }

    [Theory]
    [InlineData(EmailNotifications.All, "all activity")]
    [InlineData(EmailNotifications.MentionsOnly, "only mentions of you")]
    [InlineData(EmailNotifications.None, "no notifications")]
    [InlineData((EmailNotifications)99, "an unknown setting")]
    public void NotificationText_DescribesEverySetting(EmailNotifications setting, string expected) =>
        Assert.Equal(expected, NotificationText.Describe(setting));

    private async Task<User> ProvisionAsync(string userName) => await App.CreateUserAsync(Team, userName, UserSource.Idp);

    private IRenderedComponent<Home> RenderHome(User member)
    {
        SignInAsMember(member.Id, member.UserName);
        RenderMudProviders();
        var home = Render<Home>();
        home.Eventually(() => Assert.True(home.Has("member-username") || home.Has("account-missing")));
        return home;
    }

    private IRenderedComponent<NotificationSettingsPage> RenderSettings(User member)
    {
        SignInAsMember(member.Id, member.UserName);
        RenderMudProviders();
        var page = Render<NotificationSettingsPage>();
        page.Eventually(() => Assert.True(page.Has("settings-save") || page.Has("account-missing")));
        return page;
    }

    private static AngleSharp.Dom.IElement Radio(IRenderedComponent<NotificationSettingsPage> page, string testId) =>
        page.Find($"input[data-testid='{testId}'], [data-testid='{testId}'] input");

    private static bool RadioChecked(IRenderedComponent<NotificationSettingsPage> page, string testId) => Radio(page, testId).HasAttribute("checked");

    private static void Choose(IRenderedComponent<NotificationSettingsPage> page, string testId) => Radio(page, testId).Click();
}
