using Bunit;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Components.Users;

public sealed class UserDrawerTests : UsersPageTestBase
{
    [Fact]
    public async Task Drawer_ShowsTheStoredAttributesAndTheUsersProvisioningHistory()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp, externalId: "00u-dana", displayName: "Dana Scully");
        var log = App.Get<ProvisioningLog>();
        var now = App.Clock.GetUtcNow().UtcDateTime;
        log.Record(new ProvisioningEvent { TeamId = Team.Id, At = now.AddMinutes(-5), Method = "POST", Path = "/scim/v2/acme/Users", Operation = "create", Status = 201, UserId = dana.Id, UserName = "dana" });
        log.Record(new ProvisioningEvent
        {
            TeamId = Team.Id, At = now, Method = "PATCH", Path = $"/scim/v2/acme/Users/{dana.Id}", Operation = "update", Status = 400, UserId = dana.Id, UserName = "dana",
            ErrorType = "invalidValue", Detail = UserRules.ValidateUserName("dana@fbi.example"),
        });
        log.Record(new ProvisioningEvent { TeamId = Team.Id, At = now, Method = "POST", Path = "/scim/v2/acme/Users", Operation = "create", Status = 201, UserName = "someoneelse" });
        await log.FlushAsync(Ct);
        var page = RenderPage();

        OpenDrawer(page, "dana");

        Assert.Contains("Dana Scully", page.ByTestId("attr-displayName").TextContent, StringComparison.Ordinal);
        Assert.Contains("00u-dana", page.ByTestId("attr-externalId").TextContent, StringComparison.Ordinal);
        Assert.Contains("dana@example.com", page.ByTestId("attr-email").TextContent, StringComparison.Ordinal);
        Assert.Contains(dana.Id.ToString(), page.ByTestId("attr-id (SCIM)").TextContent, StringComparison.Ordinal);
        Assert.Contains("never", page.ByTestId("attr-Last sign-in").TextContent, StringComparison.Ordinal);
        var history = page.AllByTestId("history-item");
        Assert.Equal(2, history.Count);
        Assert.Contains("update", history[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("mailNickname", history[0].QuerySelector("[data-testid='failure-hint']")!.TextContent, StringComparison.Ordinal);
        Assert.Null(history[1].QuerySelector("[data-testid='activity-failure']"));
        Assert.Equal($"/admin/activity?userId={dana.Id}", page.ByTestId("all-activity").GetAttribute("href"));
    }

    [Fact]
    public async Task Drawer_ForAUserWithoutScimHistory_SaysSo()
    {
        await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();

        OpenDrawer(page, "dana");

        Assert.True(page.Has("history-empty"));
        Assert.False(page.Has("idp-managed"));
    }

    [Fact]
    public async Task Drawer_UserDeletedByScimWhileOpen_SaysItIsGone()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var page = RenderPage();
        OpenDrawer(page, "dana");

        Assert.Null(await Directory.DeleteAsync(Team.Id, dana.Id, ct: Ct));

        page.Eventually(() => Assert.True(page.Has("user-gone")));
        page.Eventually(() => Assert.DoesNotContain("dana", UserNames(page)));
    }

    [Fact]
    public async Task Drawer_UserChangedByScimWhileOpen_ShowsTheNewValues()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var page = RenderPage();
        OpenDrawer(page, "dana");

        await Directory.UpdateAsync(Team.Id, dana.Id, p => p with { DisplayName = "Agent Scully" }, UserSource.Idp, ct: Ct);

        page.Eventually(() => Assert.Contains("Agent Scully", page.ByTestId("attr-displayName").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deactivate_AfterConfirmation_DeactivatesAndShowsIt()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("deactivate-user").Click();
        Answer("Deactivate");

        page.Eventually(() => Assert.True(page.Has("reactivate-user")));
        Assert.False((await Directory.FindAsync(Team.Id, dana.Id, Ct))!.Active);
        page.Eventually(() => Assert.Equal(
            "Deactivated",
            page.FindAll("tbody tr").First(r => r.TextContent.Contains("dana@example.com", StringComparison.Ordinal)).QuerySelector("[data-testid='status']")!.TextContent.Trim()));
    }

    [Fact]
    public async Task Deactivate_Cancelled_ChangesNothing()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("deactivate-user").Click();
        Answer("Cancel");

        await Task.Delay(200, Ct);
        Assert.True((await Directory.FindAsync(Team.Id, dana.Id, Ct))!.Active);
        Assert.True(page.Has("deactivate-user"));
    }

    [Fact]
    public async Task Deactivate_WhenAnotherAdminDidItMeanwhile_SaysSoInsteadOfActingTwice()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.ByTestId("deactivate-user").Click();
        Dialogs.Eventually(() => Dialogs.Button("Deactivate"));
        var version = (await Directory.SetActiveAsync(Team.Id, dana.Id, false, UserSource.Admin, Ct)).User!.Version;

        Answer("Deactivate");

        page.Eventually(() => Assert.Contains("already deactivated", page.ByTestId("details-notice").TextContent, StringComparison.Ordinal));
        Assert.Equal(version, (await Directory.FindAsync(Team.Id, dana.Id, Ct))!.Version);
    }

    [Fact]
    public async Task Reactivate_TurnsTheAccountBackOn()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        await Directory.SetActiveAsync(Team.Id, dana.Id, false, UserSource.Admin, Ct);
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("reactivate-user").Click();

        page.Eventually(() => Assert.True(page.Has("deactivate-user")));
        Assert.True((await Directory.FindAsync(Team.Id, dana.Id, Ct))!.Active);
    }

    [Fact]
    public async Task Delete_AfterConfirmation_RemovesTheUserAndClosesTheDrawer()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("delete-user").Click();
        Answer("Delete");

        page.Eventually(() => Assert.False(page.Has("user-details")));
        page.Eventually(() => Assert.Equal(["adminacme"], UserNames(page)));
        Assert.Null(await Directory.FindAsync(Team.Id, dana.Id, Ct));
    }

    [Fact]
    public async Task Delete_WhenSomeoneElseDeletedItFirst_SaysItIsGone()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.ByTestId("delete-user").Click();
        Dialogs.Eventually(() => Dialogs.Button("Delete"));
        await Directory.DeleteAsync(Team.Id, dana.Id, ct: Ct);

        Answer("Delete");

        page.Eventually(() => Assert.True(page.Has("user-gone")));
    }

    [Fact]
    public async Task MakeAdminThenRemoveAdmin_ChangesTheRole()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("grant-admin").Click();
        page.Eventually(() => Assert.True(page.Has("admin-chip")));
        Assert.True((await Directory.FindAsync(Team.Id, dana.Id, Ct))!.IsAdmin);

        page.ByTestId("revoke-admin").Click();
        page.Eventually(() => Assert.False(page.Has("admin-chip")));
        Assert.False((await Directory.FindAsync(Team.Id, dana.Id, Ct))!.IsAdmin);
    }

    [Fact]
    public async Task TheLastActiveAdmin_IsOfferedNoDeactivateDemoteOrDelete_AndToldWhy()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        await Directory.SetAdminAsync(Team.Id, dana.Id, true, Ct);
        await Directory.SetActiveAsync(Team.Id, (await AdminAsync()).Id, false, UserSource.Admin, Ct);
        var page = RenderPage();
        OpenDrawer(page, "dana");

        Assert.True(page.ByTestId("deactivate-user").HasAttribute("disabled"));
        Assert.True(page.ByTestId("revoke-admin").HasAttribute("disabled"));
        Assert.True(page.ByTestId("delete-user").HasAttribute("disabled"));
        Assert.False(page.ByTestId("edit-user").HasAttribute("disabled"));
        Assert.Contains("dana is the team's last active admin", page.ByTestId("last-admin").TextContent, StringComparison.Ordinal);

        // A second active admin, and the actions are back.
        await Directory.SetActiveAsync(Team.Id, (await AdminAsync()).Id, true, UserSource.Admin, Ct);
        page.Eventually(() => Assert.False(page.ByTestId("revoke-admin").HasAttribute("disabled")));
        Assert.False(page.Has("last-admin"));
    }

    [Fact]
    public async Task RemoveAdmin_WhenTheOtherAdminWentBehindThePanelsBack_ShowsTheDirectorysReason()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        await Directory.SetAdminAsync(Team.Id, dana.Id, true, Ct);
        var page = RenderPage();
        OpenDrawer(page, "dana");
        Assert.False(page.ByTestId("revoke-admin").HasAttribute("disabled"));

        // Without a change notification (another instance, the CLI): the panel still offers the action.
        await using (var db = await App.DbAsync())
        {
            await db.Users.Where(u => u.TeamId == Team.Id && u.UserName == Team.AdminUserName)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Active, false), Ct);
        }

        page.ByTestId("revoke-admin").Click();

        page.Eventually(() => Assert.Contains("last active admin", page.ByTestId("details-error").TextContent, StringComparison.Ordinal));
        Assert.True((await Directory.FindAsync(Team.Id, dana.Id, Ct))!.IsAdmin);
        page.Eventually(() => Assert.True(page.ByTestId("revoke-admin").HasAttribute("disabled")));
    }

    [Fact]
    public async Task LocalAccount_IsMarkedLocalAndOutsideScim_AnIdpAccountIsNot()
    {
        await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var page = RenderPage();

        OpenDrawer(page, Team.AdminUserName);
        Assert.Contains("Local (break-glass)", page.Find("[data-testid='user-details'] [data-testid='local-chip']").TextContent, StringComparison.Ordinal);
        Assert.Contains("outside SCIM", page.ByTestId("local-account").TextContent, StringComparison.Ordinal);

        OpenDrawer(page, "dana");
        Assert.Null(page.Find("[data-testid='user-details']").QuerySelector("[data-testid='local-chip']"));
        Assert.False(page.Has("local-account"));
    }

    [Fact]
    public async Task OwnAccount_CannotBeDeactivatedDeletedOrDemotedFromHere()
    {
        var me = await AdminAsync();
        var page = RenderPage(signedInAs: me.Id);

        OpenDrawer(page, me.UserName);

        Assert.True(page.ByTestId("deactivate-user").HasAttribute("disabled"));
        Assert.True(page.ByTestId("delete-user").HasAttribute("disabled"));
        Assert.True(page.ByTestId("revoke-admin").HasAttribute("disabled"));
        Assert.False(page.ByTestId("edit-user").HasAttribute("disabled"));
    }

    [Fact]
    public async Task IdpManagedUser_SaysProfileChangesBelongInTheIdp()
    {
        await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var page = RenderPage();

        OpenDrawer(page, "dana");

        Assert.Contains("Profile changes belong in the IdP", page.ByTestId("idp-managed").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnlinkSsoIdentity_OfALinkedAccount_AfterConfirmation_ClearsTheBinding()
    {
        var dana = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        await App.CreateUserAsync(Team, "fox", UserSource.Idp);
        var subject = "00u1f2e3d4c5b6a7z8y9x0w-dana";
        Assert.NotNull((await Directory.TryBindSsoSubjectAsync(dana, "https://login.example.com/tenant-1234/v2.0", subject, Ct))?.User);
        var page = RenderPage();

        OpenDrawer(page, "fox");
        Assert.Equal("not linked", page.ByTestId("attr-SSO identity").QuerySelector("td")!.TextContent.Trim());
        Assert.False(page.Has("unlink-sso"));

        OpenDrawer(page, "dana");
        var shown = page.ByTestId("attr-SSO identity").TextContent;
        Assert.Contains("https://login.example.com", shown, StringComparison.Ordinal);
        Assert.Contains("…", shown, StringComparison.Ordinal);
        Assert.Contains(subject[^11..], shown, StringComparison.Ordinal);

        page.ByTestId("unlink-sso").Click();
        Answer("Cancel");
        Dialogs.Eventually(() => Assert.Empty(Dialogs.FindAll(".mud-dialog")));
        Assert.Equal(subject, (await Directory.FindAsync(Team.Id, dana.Id, Ct))!.SsoSubject);

        page.ByTestId("unlink-sso").Click();
        Answer("Unlink");

        page.Eventually(() => Assert.Equal("not linked", page.ByTestId("attr-SSO identity").QuerySelector("td")!.TextContent.Trim()));
        Assert.False(page.Has("unlink-sso"));
        var unlinked = (await Directory.FindAsync(Team.Id, dana.Id, Ct))!;
        Assert.Equal((null, null), (unlinked.SsoIssuer, unlinked.SsoSubject));
    }

    [Fact]
    public async Task CloseButton_ClosesTheDrawer()
    {
        await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("details-close").Click();

        page.Eventually(() => Assert.False(page.Has("user-details")));
    }
}
