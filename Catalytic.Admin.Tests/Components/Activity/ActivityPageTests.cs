using Bunit;
using Catalytic.Admin.Components.Pages.Admin.Activity;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Catalytic.Admin.Tests.Components.Activity;

public sealed class ActivityPageTests : ComponentTestBase
{
    private ProvisioningLog Log => App.Get<ProvisioningLog>();

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private DateTime Now => App.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public void TeamThatNeverUsedScim_SeesHowToStart()
    {
        var page = RenderPage();

        Assert.Contains("SCIM has not been used yet", page.ByTestId("activity-empty").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid='activity-empty'] a[href='/admin/sso']"));
    }

    [Fact]
    public async Task Requests_AreListedNewestFirst_OnlyForThisTeam()
    {
        Record(Now.AddMinutes(-3), "create", 201, userName: "first");
        Record(Now.AddMinutes(-1), "update", 200, userName: "third");
        Record(Now.AddMinutes(-2), "lookup", 200, userName: "second");
        var globex = await App.CreateTeamAsync("globex");
        Log.Record(new ProvisioningEvent { TeamId = globex.Id, At = Now, Method = "POST", Path = "/scim/v2/globex/Users", Operation = "create", Status = 201, UserName = "intruder" });
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Equal(["update", "lookup", "create"], Operations(page));
        Assert.DoesNotContain("intruder", page.Markup, StringComparison.Ordinal);
        Assert.Contains("201 Created", page.AllByTestId("row-status")[2].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserNameConflict_ShowsTheExactErrorAndHowToLinkTheAccount()
    {
        await App.CreateUserAsync(Team, "alice");
        var refused = await App.Get<UserDirectory>().CreateAsync(Team.Id, new UserProfile { UserName = "ALICE" }, UserSource.Idp, Ct);
        Record(Now, "create", 409, userName: "ALICE", errorType: "uniqueness", detail: refused.Error!.Detail);
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        var failure = page.ByTestId("activity-failure");
        Assert.Contains("HTTP 409", failure.TextContent, StringComparison.Ordinal);
        Assert.Contains("scimType uniqueness", failure.TextContent, StringComparison.Ordinal);
        Assert.Equal(refused.Error.Detail, page.ByTestId("failure-detail").TextContent);
        Assert.Contains("Okta", page.ByTestId("failure-hint").TextContent, StringComparison.Ordinal);
        Assert.Contains("matching attribute", page.ByTestId("failure-hint").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedToken_SaysToCopyTheCurrentTokenWithALinkToSsoSettings()
    {
        Record(Now, "other", 401, detail: ScimBearerAuthentication.Describe(ScimAuthFailure.Revoked));
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Contains("current token", page.ByTestId("failure-hint").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid='failure-hint'] a[href='/admin/sso']"));
    }

    [Fact]
    public async Task EmailAsUserName_NamesTheMappingToChange()
    {
        Record(Now, "create", 400, userName: "dana@fbi.example", errorType: "invalidValue", detail: UserRules.ValidateUserName("dana@fbi.example"));
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Contains("mailNickname", page.ByTestId("failure-hint").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/scim/v2/acme/Users?filter=userName%20eq%20%22dana%22", "GET /scim/v2/acme/Users?filter=userName eq \"dana\"")]
    [InlineData("/scim/v2/acme/Users?filter=%ZZ%", "GET /scim/v2/acme/Users?filter=%ZZ%")]
    public async Task RequestPath_IsShownDecoded_AndMangledEncodingAsSent(string path, string shown)
    {
        Log.Record(new ProvisioningEvent { TeamId = Team.Id, At = Now, Method = "GET", Path = path, Operation = "lookup", Status = 200 });
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Equal(shown, page.ByTestId("row-request").TextContent);
    }

    [Fact]
    public async Task SucceededRows_HaveNoErrorBlock()
    {
        Record(Now, "create", 201);
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Single(page.AllByTestId("activity-row"));
        Assert.False(page.Has("activity-failure"));
    }

    [Fact]
    public async Task OutcomeFilter_ShowsOnlyFailedOrOnlySucceeded()
    {
        Record(Now.AddMinutes(-1), "create", 201);
        Record(Now, "create", 409, errorType: "uniqueness", detail: "userName 'x' already belongs to another account");
        await Log.FlushAsync(Ct);
        var page = RenderPage();

        await ChooseAsync(page, "filter-outcome", "failed");
        page.Eventually(() => Assert.Equal(["409"], Statuses(page)));

        await ChooseAsync(page, "filter-outcome", "succeeded");
        page.Eventually(() => Assert.Equal(["201"], Statuses(page)));
    }

    [Fact]
    public async Task OperationFilter_OffersTheOperationsSeen_AndFiltersByOne()
    {
        Record(Now.AddMinutes(-2), "create", 201);
        Record(Now.AddMinutes(-1), "deactivate", 200);
        Record(Now, "lookup", 200);
        await Log.FlushAsync(Ct);
        var page = RenderPage();

        await ChooseAsync(page, "filter-operation", "deactivate");

        page.Eventually(() => Assert.Equal(["deactivate"], Operations(page)));
    }

    [Fact]
    public async Task UserNameFilter_MatchesPartOfTheName()
    {
        Record(Now, "create", 201, userName: "danascully");
        Record(Now, "create", 201, userName: "foxmulder");
        await Log.FlushAsync(Ct);
        var page = RenderPage();

        page.Type("filter-user", "scul");

        page.Eventually(() => Assert.Single(page.AllByTestId("activity-row")));
        Assert.Contains("danascully", page.ByTestId("activity-row").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("' OR 1=1 --")]
    public async Task UserNameFilter_WithOddCharacters_MatchesNothingAndSaysSo(string text)
    {
        Record(Now, "create", 201, userName: "danascully");
        await Log.FlushAsync(Ct);
        var page = RenderPage();

        page.Type("filter-user", text);

        page.Eventually(() => Assert.True(page.Has("activity-no-match")));
    }

    [Fact]
    public async Task UserIdInTheLink_ShowsOnlyThatUsersRequests_WithAChipToClearIt()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        Record(Now.AddMinutes(-1), "create", 201, userId: dana.Id, userName: "dana");
        Record(Now, "create", 201, userName: "fox");
        await Log.FlushAsync(Ct);

        var page = RenderPage($"?userId={dana.Id}");

        Assert.Single(page.AllByTestId("activity-row"));
        Assert.Contains("dana", page.ByTestId("filter-user-chip").TextContent, StringComparison.Ordinal);

        page.Find("[data-testid='filter-user-chip'] .mud-chip-close-button").Click();

        page.Eventually(() => Assert.Equal(2, page.AllByTestId("activity-row").Count));
    }

    [Fact]
    public async Task RowUserLink_FiltersByThatUser()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        Record(Now, "create", 201, userId: dana.Id, userName: "dana");
        await Log.FlushAsync(Ct);

        var page = RenderPage();

        Assert.Equal($"/admin/activity?userId={dana.Id}", page.ByTestId("row-user").GetAttribute("href"));
    }

    [Theory]
    [InlineData("?userId=not-a-guid")]
    [InlineData("?outcome=sideways")]
    public async Task MangledLink_ShowsEverythingAndSaysWhy(string query)
    {
        Record(Now, "create", 201);
        Record(Now, "create", 500, detail: "boom");
        await Log.FlushAsync(Ct);

        var page = RenderPage(query);

        Assert.True(page.Has("link-problem"));
        Assert.Equal(2, page.AllByTestId("activity-row").Count);
    }

    [Fact]
    public async Task OutcomeInTheLink_PreselectsFailed()
    {
        Record(Now, "create", 201);
        Record(Now, "create", 500, detail: "boom");
        await Log.FlushAsync(Ct);

        var page = RenderPage("?outcome=failed");

        Assert.Equal(["500"], Statuses(page));
    }

    [Fact]
    public async Task NewRequests_AppearWhileThePageIsOpen_WithoutReload()
    {
        var page = RenderPage();
        Assert.True(page.Has("activity-empty"));

        Record(Now, "create", 201, userName: "first");
        await Log.FlushAsync(Ct);
        page.Eventually(() => Assert.Single(page.AllByTestId("activity-row")));

        Record(Now.AddSeconds(1), "create", 409, userName: "second", errorType: "uniqueness", detail: "userName 'second' already belongs to another account in this team.");
        await Log.FlushAsync(Ct);
        page.Eventually(() => Assert.Equal(2, page.AllByTestId("activity-row").Count));
        Assert.True(page.Has("failure-hint"));
    }

    [Fact]
    public async Task LiveUpdates_KeepTheChosenFilter()
    {
        var page = RenderPage("?outcome=failed");

        Record(Now, "create", 201);
        Record(Now, "create", 500, detail: "boom");
        await Log.FlushAsync(Ct);

        page.Eventually(() => Assert.Equal(["500"], Statuses(page)));
    }

    [Fact]
    public async Task RequestsOfAnotherTeam_DoNotRefreshThePage()
    {
        var page = RenderPage();
        var renders = await page.SettledRenderCountAsync();
        var globex = await App.CreateTeamAsync("globex");

        Log.Record(new ProvisioningEvent { TeamId = globex.Id, At = Now, Method = "POST", Path = "/scim/v2/globex/Users", Status = 201 });
        await Log.FlushAsync(Ct);
        await Task.Delay(600, Ct);

        Assert.Equal(renders, page.RenderCount);
    }

    [Fact]
    public async Task ManyRequests_ShowFiftyThenOlderOnRequest()
    {
        for (var i = 0; i < 60; i++)
        {
            Record(Now.AddSeconds(-i), "lookup", 200);
        }

        await Log.FlushAsync(Ct);
        var page = RenderPage();
        Assert.Equal(50, page.AllByTestId("activity-row").Count);

        page.ByTestId("load-more").Click();

        page.Eventually(() => Assert.Equal(60, page.AllByTestId("activity-row").Count));
        Assert.False(page.Has("load-more"));
    }

    private IRenderedComponent<ActivityPage> RenderPage(string query = "")
    {
        SignInAsAdmin();
        RenderMudProviders();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/admin/activity" + query);
        var page = Render<ActivityPage>();
        page.Eventually(() => Assert.False(page.Has("activity-loading") || page.FindAll(".mud-progress-linear").Count > 0));
        return page;
    }

    /// <summary>Picks a value the way the select reports a choice; opening MudBlazor's popover is not what is tested.</summary>
    private static async Task ChooseAsync(IRenderedComponent<ActivityPage> page, string testId, string value)
    {
        var select = page.FindComponents<MudSelect<string>>().First(s => Equals(s.Instance.UserAttributes?.GetValueOrDefault("data-testid"), testId));
        await page.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    private static string[] Operations(IRenderedComponent<ActivityPage> page) =>
        page.AllByTestId("row-operation").Select(e => e.TextContent.Trim()).ToArray();

    private static string[] Statuses(IRenderedComponent<ActivityPage> page) =>
        page.AllByTestId("row-status").Select(e => e.TextContent.Trim().Split(' ')[0]).ToArray();

    private void Record(DateTime at, string operation, int status, Guid? userId = null, string? userName = null, string? errorType = null, string? detail = null)
    {
        var e = TestEvents.UsersRequest(Team, at, operation, status);
        e.UserId = userId;
        e.UserName = userName;
        e.ErrorType = errorType;
        e.Detail = detail;
        Log.Record(e);
    }
}
