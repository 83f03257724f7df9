using Bunit;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Components.Users;

public sealed class UsersGridTests : UsersPageTestBase
{
    [Fact]
    public async Task FirstPage_ShowsTwentyFiveUsersByUserName_AndTheTotal()
    {
        await App.CreateUsersAsync(Team, 30);

        var page = RenderPage();

        page.Eventually(() => Assert.Equal(25, UserNames(page).Length));
        Assert.Equal(["adminacme", "person01", "person02"], UserNames(page)[..3]);
        Assert.Contains("1-25 of 31", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NextPage_LoadsTheRestFromTheServer()
    {
        await App.CreateUsersAsync(Team, 30);
        var page = RenderPage();
        page.Eventually(() => Assert.Equal(25, UserNames(page).Length));

        page.Find("button[aria-label='Next page']").Click();

        page.Eventually(() => Assert.Equal(["person25", "person26", "person27", "person28", "person29", "person30"], UserNames(page)));
        Assert.Contains("26-31 of 31", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClickingTheUserNameHeader_SortsDescendingOnTheServer()
    {
        await App.CreateUsersAsync(Team, 30);
        var page = RenderPage();

        page.FindAll(".sortable-column-header").First(h => h.TextContent.Trim() == "userName").Click();

        page.Eventually(() => Assert.Equal(["person30", "person29"], UserNames(page)[..2]));
    }

    [Fact]
    public void OnlyIndexedColumns_OfferSorting()
    {
        var page = RenderPage();

        var sortable = page.FindAll(".sortable-column-header").Select(h => h.TextContent.Trim());

        Assert.Equal(["userName"], sortable);
    }

    [Fact]
    public async Task Columns_ShowProfileStatusSourceAndExternalId()
    {
        var user = await App.CreateUserAsync(Team, "dana", UserSource.Idp, externalId: "00u-dana", displayName: "Dana Scully");
        await Directory.SetActiveAsync(Team.Id, user.Id, false, UserSource.Idp, Ct);

        var page = RenderPage();

        var row = page.FindAll("tbody tr").First(r => r.TextContent.Contains("dana@example.com", StringComparison.Ordinal));
        Assert.Contains("Dana Scully", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("+1 555 0100", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("00u-dana", row.TextContent, StringComparison.Ordinal);
        Assert.Equal("Deactivated", row.QuerySelector("[data-testid='status']")!.TextContent.Trim());
        Assert.Equal("IdP", row.QuerySelector("[data-testid='source']")!.TextContent.Trim());
    }

    [Fact]
    public async Task Search_ByUserNamePrefix_FiltersOnTheServer_AndStartsOnTheFirstPage()
    {
        await App.CreateUsersAsync(Team, 30);
        var page = RenderPage();
        page.Find("button[aria-label='Next page']").Click();
        page.Eventually(() => Assert.Equal("person25", UserNames(page)[0]));

        page.Type("user-search", "PERSON1");

        page.Eventually(() => Assert.Equal(Enumerable.Range(10, 10).Select(i => $"person{i}"), UserNames(page)));
        Assert.Contains("1-10 of 10", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_ByEmailOrExternalId_FindsTheUser()
    {
        await App.CreateUserAsync(Team, "dana", email: "scully@fbi.example", externalId: "00u-42");
        await App.CreateUserAsync(Team, "fox", email: "mulder@fbi.example");
        var page = RenderPage();

        page.Type("user-search", "scully@");
        page.Eventually(() => Assert.Equal(["dana"], UserNames(page)));

        page.Type("user-search", "00u-42");
        page.Eventually(() => Assert.Equal(["dana"], UserNames(page)));
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("' OR 1=1 --")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("\\")]
    [InlineData("😀")]
    public async Task Search_WithOddCharacters_ShowsTheNoMatchMessageWithTheTextAsTyped(string text)
    {
        await App.CreateUsersAsync(Team, 3);
        var page = RenderPage();

        page.Type("user-search", text);

        page.Eventually(() => Assert.Contains(text, page.ByTestId("users-no-match").TextContent, StringComparison.Ordinal));
        Assert.Empty(UserNames(page));
        Assert.Empty(page.FindAll("script"));
    }

    [Fact]
    public async Task ClearingTheSearch_ListsEveryoneAgain()
    {
        await App.CreateUsersAsync(Team, 3);
        var page = RenderPage();
        page.Type("user-search", "nobody");
        page.Eventually(() => Assert.True(page.Has("users-no-match")));

        page.Type("user-search", "");

        page.Eventually(() => Assert.Equal(4, UserNames(page).Length));
    }

    [Fact]
    public async Task TeamWithoutUsers_ShowsTheEmptyState()
    {
        // Only reachable by removing the last admin behind the directory's back; the page must still cope.
        await using (var db = await App.DbAsync())
        {
            await db.Users.Where(u => u.TeamId == Team.Id).ExecuteDeleteAsync(Ct);
        }

        var page = RenderPage();

        Assert.Contains("No users yet", page.ByTestId("users-empty").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid='users-empty'] a[href='/admin/sso']"));
    }

    [Fact]
    public async Task TheGrid_MarksOnlyLocalAccountsAsLocal()
    {
        await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        await App.CreateUserAsync(Team, "erika");
        var page = RenderPage();
        page.Eventually(() => Assert.Equal(3, UserNames(page).Length));

        var marked = page.FindAll("tbody tr")
            .Where(r => r.QuerySelector("[data-testid='local-chip']") is not null)
            .Select(r => r.QuerySelector("[data-testid='cell-username']")!.TextContent.Trim());
        Assert.Equal([Team.AdminUserName], marked);
    }

    [Fact]
    public async Task OnlyTheSignedInTeamsUsersAreListed()
    {
        var globex = await App.CreateTeamAsync("globex");
        await App.CreateUserAsync(globex, "intruder");

        var page = RenderPage();

        Assert.Equal(["adminacme"], UserNames(page));
    }

    [Fact]
    public async Task UserCreatedByScim_AppearsWithoutReload()
    {
        var page = RenderPage();
        Assert.Equal(["adminacme"], UserNames(page));

        await App.CreateUserAsync(Team, "newcomer", UserSource.Idp);

        page.Eventually(() => Assert.Equal(["adminacme", "newcomer"], UserNames(page)));
    }

    [Fact]
    public async Task BurstOfScimChanges_EndsUpFullyShown()
    {
        var page = RenderPage();

        await App.CreateUsersAsync(Team, 12, "burst");

        page.Eventually(() =>
        {
            Assert.Contains("of 13", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
            Assert.Equal(13, UserNames(page).Length);
        });
    }

    [Fact]
    public async Task ChangesInAnotherTeam_DoNotTouchThePage()
    {
        var page = RenderPage();
        var renders = await page.SettledRenderCountAsync();
        var globex = await App.CreateTeamAsync("globex");

        await App.CreateUserAsync(globex, "elsewhere");
        await Task.Delay(600, Ct);

        Assert.Equal(renders, page.RenderCount);
        Assert.Equal(["adminacme"], UserNames(page));
    }

    [Fact]
    public async Task AfterThePageIsGone_ChangesAreIgnored()
    {
        var page = RenderPage();
        var renders = page.RenderCount;

        await DisposeComponentsAsync();
        await App.CreateUserAsync(Team, "later", UserSource.Idp);
        await Task.Delay(600, Ct);

        Assert.Equal(renders, page.RenderCount);
    }
}
