using Bunit;
using Catalytic.Admin.Components.Pages.Admin.Users;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using MudBlazor;

namespace Catalytic.Admin.Tests.Components.Users;

/// <summary>Renders the Users page as a signed-in admin, with the providers its dialogs need.</summary>
public abstract class UsersPageTestBase : ComponentTestBase
{
    protected IRenderedComponent<MudDialogProvider> Dialogs { get; private set; } = null!;

    protected UserDirectory Directory => App.Get<UserDirectory>();

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    /// <summary>The page, once its first page of users is on screen.</summary>
    protected IRenderedComponent<UsersPage> RenderPage(Guid? signedInAs = null)
    {
        SignInAsAdmin(signedInAs);
        Dialogs = RenderMudProviders();
        var page = Render<UsersPage>();
        page.Eventually(() => Assert.True(page.Has("cell-username") || page.Has("users-empty"), "The grid did not load."));
        return page;
    }

    protected static string[] UserNames(IRenderedComponent<UsersPage> page) =>
        page.AllByTestId("cell-username").Select(e => e.TextContent.Trim()).ToArray();

    protected static void OpenDrawer(IRenderedComponent<UsersPage> page, string userName)
    {
        page.Eventually(() => Assert.Contains(userName, UserNames(page)));
        var row = page.FindAll("tbody tr").First(r => r.QuerySelector("[data-testid='cell-username']")?.TextContent.Trim() == userName);
        row.Click();
        page.Eventually(() => Assert.Equal(userName, page.ByTestId("details-title").TextContent.Trim()));
        page.Eventually(() => Assert.True(page.Has("attributes") || page.Has("user-gone")));
    }

    protected async Task<User> AdminAsync() => (await Directory.FindByUserNameAsync(Team.Id, Team.AdminUserName, Ct))!;

    /// <summary>Answers the open MudBlazor message box.</summary>
    protected void Answer(string button) => Dialogs.Eventually(() => Dialogs.Button(button).Click());
}
