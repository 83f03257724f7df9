using Bunit;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Components.Users;

public sealed class UserFormTests : UsersPageTestBase
{
    [Fact]
    public async Task Create_WithValidProfile_SavesAnAdminCreatedUserAndListsIt()
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "dana");
        Dialogs.Fill("field-givenName", "Dana");
        Dialogs.Fill("field-familyName", "Scully");
        Dialogs.Fill("field-email", "dana@fbi.example");
        Dialogs.ByTestId("form-save").Click();

        page.Eventually(() => Assert.Contains("dana", UserNames(page)));
        Dialogs.Eventually(() => Assert.False(Dialogs.Has("user-form")));
        var saved = await Directory.FindByUserNameAsync(Team.Id, "dana", Ct);
        Assert.Equal(UserSource.Admin, saved!.Source);
        Assert.Equal("Scully", saved.FamilyName);
        Assert.False(saved.IsAdmin);
    }

    [Fact]
    public async Task Create_AsTeamAdmin_GrantsTheRole()
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "dana");
        Dialogs.Find("input[data-testid='field-admin'], [data-testid='field-admin'] input").Change(true);
        Dialogs.ByTestId("form-save").Click();

        page.Eventually(() => Assert.Contains("dana", UserNames(page)));
        Assert.True((await Directory.FindByUserNameAsync(Team.Id, "dana", Ct))!.IsAdmin);
    }

    [Theory]
    [InlineData("dana@fbi.example")]
    [InlineData("dana.scully")]
    [InlineData("dana scully")]
    [InlineData("")]
    public async Task Create_WithUserNameTheDirectoryRefuses_ShowsItsMessageAtTheField(string userName)
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", userName);
        Dialogs.Fill("field-displayName", "Dana Scully");
        Dialogs.ByTestId("form-save").Click();

        var expected = UserRules.ValidateUserName(userName)!;
        Dialogs.Eventually(() => Assert.Contains(expected, FieldError("field-userName"), StringComparison.Ordinal));
        Assert.Equal("Dana Scully", Dialogs.Find("input[data-testid='field-displayName']").GetAttribute("value"));
        Assert.Null(await Directory.FindByUserNameAsync(Team.Id, "dana", Ct));
    }

    [Fact]
    public async Task Create_WithTheLocalAdminsUserName_SaysALocalAdministratorAccountHoldsIt()
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", Team.AdminUserName.ToUpperInvariant());
        Dialogs.ByTestId("form-save").Click();

        // The same words an IdP's create gets: the directory's conflict, not a message of the page's own.
        Dialogs.Eventually(() => Assert.Contains("is held by a local administrator account of this team", FieldError("field-userName"), StringComparison.Ordinal));
        Assert.Contains("map a different userName", FieldError("field-userName"), StringComparison.Ordinal);
        Assert.True(Dialogs.Has("user-form"));
    }

    [Fact]
    public async Task Create_WithTakenUserNameInOtherCase_ShowsTheUniquenessMessageAtTheField()
    {
        await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "DANA");
        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Contains("already belongs to another account", FieldError("field-userName"), StringComparison.Ordinal));
        Assert.True(Dialogs.Has("user-form"));
    }

    [Fact]
    public async Task Create_WithTakenEmail_ShowsTheMessageAtTheEmailField()
    {
        await App.CreateUserAsync(Team, "dana", email: "dana@fbi.example");
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "fox");
        Dialogs.Fill("field-email", "Dana@FBI.example");
        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Contains("already belongs to another account", FieldError("field-email"), StringComparison.Ordinal));
        Assert.Null(await Directory.FindByUserNameAsync(Team.Id, "fox", Ct));
    }

    [Fact]
    public void Create_WithInvalidEmail_ShowsTheMessageAtTheEmailField()
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "fox");
        Dialogs.Fill("field-email", "not an email");
        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Equal(UserRules.ValidateEmail("not an email"), FieldError("field-email")));
    }

    [Fact]
    public void Create_WithTooLongName_ShowsTheMessageAtThatField()
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "fox");
        Dialogs.Fill("field-givenName", new string('x', UserRules.NameMaxLength + 1));
        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Contains("too long", FieldError("field-givenName"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_Cancelled_SavesNothing()
    {
        var page = RenderPage();

        OpenCreateForm(page);
        Dialogs.Fill("field-userName", "dana");
        Dialogs.ByTestId("form-cancel").Click();

        Dialogs.Eventually(() => Assert.False(Dialogs.Has("user-form")));
        Assert.Null(await Directory.FindByUserNameAsync(Team.Id, "dana", Ct));
    }

    [Fact]
    public async Task Edit_AdminCreatedUser_OpensPrefilledAndSaves()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("edit-user").Click();
        Dialogs.Eventually(() => Assert.Equal("dana@example.com", Dialogs.Find("input[data-testid='field-email']").GetAttribute("value")));
        Dialogs.Fill("field-displayName", "Agent Scully");
        Dialogs.ByTestId("form-save").Click();

        page.Eventually(() => Assert.Contains("Agent Scully", page.ByTestId("attr-displayName").TextContent, StringComparison.Ordinal));
        var saved = (await Directory.FindAsync(Team.Id, dana.Id, Ct))!;
        Assert.Equal("Agent Scully", saved.DisplayName);
        Assert.Equal(UserSource.Admin, saved.Source);
    }

    [Fact]
    public async Task Edit_IdpManagedUser_AsksForEditAnywayFirst()
    {
        await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        var page = RenderPage();
        OpenDrawer(page, "dana");

        page.ByTestId("edit-user").Click();
        Dialogs.Eventually(() => Assert.Contains("next sync overwrites", Dialogs.Markup, StringComparison.Ordinal));
        Answer("Cancel");
        await Task.Delay(200, Ct);
        Assert.False(Dialogs.Has("user-form"));

        page.ByTestId("edit-user").Click();
        Answer("Edit anyway");
        Dialogs.Eventually(() => Assert.True(Dialogs.Has("user-form")));
    }

    [Fact]
    public async Task Edit_WhenTheIdpChangedTheUserMeanwhile_KeepsTheAdminsEditsAndSavesOnSecondTry()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.ByTestId("edit-user").Click();
        Dialogs.Eventually(() => Assert.True(Dialogs.Has("user-form")));
        Dialogs.Fill("field-displayName", "Admin's choice");
        await Directory.UpdateAsync(Team.Id, dana.Id, p => p with { PrimaryPhone = "+1 555 0199" }, UserSource.Admin, ct: Ct);

        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Contains("Someone else changed dana", Dialogs.ByTestId("form-error").TextContent, StringComparison.Ordinal));
        Assert.Equal("Admin's choice", Dialogs.Find("input[data-testid='field-displayName']").GetAttribute("value"));
        Assert.Equal("Person dana", (await Directory.FindAsync(Team.Id, dana.Id, Ct))!.DisplayName);

        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.False(Dialogs.Has("user-form")));
        Assert.Equal("Admin's choice", (await Directory.FindAsync(Team.Id, dana.Id, Ct))!.DisplayName);
    }

    [Fact]
    public async Task Edit_WhenTheUserWasDeletedMeanwhile_SaysThereIsNothingToSave()
    {
        var dana = await App.CreateUserAsync(Team, "dana");
        var page = RenderPage();
        OpenDrawer(page, "dana");
        page.ByTestId("edit-user").Click();
        Dialogs.Eventually(() => Assert.True(Dialogs.Has("user-form")));
        await Directory.DeleteAsync(Team.Id, dana.Id, ct: Ct);

        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Contains("deleted while you were editing", Dialogs.ByTestId("form-error").TextContent, StringComparison.Ordinal));
        Assert.True(Dialogs.ByTestId("form-save").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Edit_ToAUserNameTakenByAnother_ShowsTheMessageAtTheField()
    {
        await App.CreateUserAsync(Team, "dana");
        await App.CreateUserAsync(Team, "fox");
        var page = RenderPage();
        OpenDrawer(page, "fox");
        page.ByTestId("edit-user").Click();
        Dialogs.Eventually(() => Assert.True(Dialogs.Has("user-form")));

        Dialogs.Fill("field-userName", "Dana");
        Dialogs.ByTestId("form-save").Click();

        Dialogs.Eventually(() => Assert.Contains("already belongs to another account", FieldError("field-userName"), StringComparison.Ordinal));
    }

    private void OpenCreateForm(Bunit.IRenderedComponent<Catalytic.Admin.Components.Pages.Admin.Users.UsersPage> page)
    {
        page.ByTestId("create-user").Click();
        Dialogs.Eventually(() => Assert.True(Dialogs.Has("user-form")));
    }

    /// <summary>The error text MudBlazor shows under the field with this data-testid.</summary>
    private string FieldError(string testId)
    {
        var input = Dialogs.Find($"input[data-testid='{testId}']");
        var control = input.Closest(".mud-input-control")!;
        return control.QuerySelector(".mud-input-helper-text")?.TextContent.Trim() ?? "";
    }
}
