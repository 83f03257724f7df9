using AngleSharp.Dom;
using Bunit;
using Catalytic.Admin.Components.Pages.Admin;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Catalytic.Admin.Tests.Components;

/// <summary>The SSO Settings page over the real services, with the test identity provider behind the issuer.</summary>
public sealed class SsoSettingsTests(TestIdentityProvider idp) : ComponentTestBase
{
    private IRenderedComponent<MudDialogProvider> dialogs = null!;
    private IRenderedComponent<MudSnackbarProvider> snackbars = null!;

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private ScimTokenService Tokens => App.Get<ScimTokenService>();

    private IRenderedComponent<SsoSettings> RenderPage(string? url = null)
    {
        SignInAsAdmin();
        if (url is not null)
        {
            Services.GetRequiredService<NavigationManager>().NavigateTo(url);
        }

        Render<MudPopoverProvider>();
        dialogs = Render<MudDialogProvider>();
        snackbars = Render<MudSnackbarProvider>();
        var page = Render<SsoSettings>();
        page.WaitForElement("[data-testid=scim-toggle] input");
        return page;
    }

    [Fact]
    public async Task ScimToggle_WhileSsoIsNotConfigured_IsDisabledWithItsReason_AndEnabledOnceSsoIsSaved()
    {
        var page = RenderPage();
        Assert.True(Toggle(page).HasAttribute("disabled"));
        Assert.Contains("Configure and verify SSO first", page.Find("[data-testid=scim-toggle-reason]").TextContent, StringComparison.Ordinal);
        Assert.Equal("SSO not configured", page.Find("[data-testid=sso-status]").TextContent.Trim());

        var client = await idp.RegisterClientAsync("http://localhost/signin-oidc/" + Team.Slug);
        page.Find("#sso-issuer").Change(idp.Issuer);
        page.Find("#sso-client-id").Change(client.ClientId);
        page.Find("#sso-client-secret").Change(client.ClientSecret);
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.Equal("SSO configured", page.Find("[data-testid=sso-status]").TextContent.Trim()));
        Assert.False(Toggle(page).HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid=scim-toggle-reason]"));
        Assert.DoesNotContain(client.ClientSecret, page.Markup, StringComparison.Ordinal);
        Assert.Contains("saved — leave empty to keep", page.Find("[data-testid=sso-connection]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretField_WhenTheIssuerOrClientIdChanges_AsksForTheSecretAgain()
    {
        var client = await App.ConnectSsoAsync(Team, idp);
        var page = RenderPage();
        var form = () => page.Find("[data-testid=sso-connection]").TextContent;
        Assert.Contains("saved — leave empty to keep", form(), StringComparison.Ordinal);

        page.Find("#sso-issuer").Change("https://other-idp.example.test");
        page.WaitForAssertion(() => Assert.Contains("The issuer or client ID changed: enter the client secret", form(), StringComparison.Ordinal));
        Assert.DoesNotContain("leave empty to keep", form(), StringComparison.Ordinal);

        page.Find("#sso-issuer").Change(idp.Issuer);
        page.WaitForAssertion(() => Assert.Contains("saved — leave empty to keep", form(), StringComparison.Ordinal));

        page.Find("#sso-client-id").Change(client.ClientId + "-new");
        page.WaitForAssertion(() => Assert.Contains("The issuer or client ID changed", form(), StringComparison.Ordinal));

        await page.Find("form").SubmitAsync();
        page.WaitForAssertion(() => Assert.Contains("Enter the client secret again", form(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ScimToggle_On_IssuesTheFirstToken_AndOff_TurnsScimOff()
    {
        await App.ConnectSsoAsync(Team, idp);
        var page = RenderPage();

        await Toggle(page).ChangeAsync(new ChangeEventArgs { Value = true });
        page.WaitForElement("[data-testid=scim-token]");
        var status = await Tokens.GetStatusAsync(Team.Id, Ct);
        Assert.True(status.Enabled);
        Assert.Single(status.LiveTokens);

        await Toggle(page).ChangeAsync(new ChangeEventArgs { Value = false });
        page.WaitForElement("[data-testid=scim-token-panel-off]");
        Assert.False((await Tokens.GetStatusAsync(Team.Id, Ct)).Enabled);
    }

    [Fact]
    public async Task TokenPanel_MasksTheToken_CopiesItWithoutShowingIt_AndRevealsItOnRequest()
    {
        var token = await App.EnableScimAsync(Team);
        var page = RenderPage();
        page.WaitForElement("[data-testid=scim-token]");

        Assert.DoesNotContain(token, page.Markup, StringComparison.Ordinal);
        Assert.Equal($"http://localhost/scim/v2/{Team.Slug}", page.Find("[data-testid=scim-base-url]").TextContent);
        var panel = page.Find("[data-testid=scim-token-panel]").TextContent;
        Assert.True(panel.IndexOf("SCIM connector base URL", StringComparison.Ordinal) < panel.IndexOf(Team.Slug, StringComparison.Ordinal));
        Assert.Contains("Authorization header as \"Bearer <token>\"", panel, StringComparison.Ordinal);

        await page.Find("[data-testid=copy-token]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal(token, JSInterop.VerifyInvoke("catalytic.copyText").Arguments[0]));
        Assert.DoesNotContain(token, page.Markup, StringComparison.Ordinal);

        await page.Find("[data-testid=reveal-token]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal(token, page.Find("[data-testid=token-value]").TextContent));

        await page.Find("[data-testid=reveal-token]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.DoesNotContain(token, page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RegenerateToken_HappensOnlyAfterConfirmation_AndDuringTheGracePeriodBothTokensAreListed()
    {
        var first = await App.EnableScimAsync(Team);
        var page = RenderPage();
        page.WaitForElement("[data-testid=scim-token]");

        OpenDialog(page, "regenerate-token");
        await dialogs.WaitForElement("[data-testid=regenerate-cancel]").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=regenerate-dialog]")));
        Assert.Single((await Tokens.GetStatusAsync(Team.Id, Ct)).LiveTokens);
        Assert.Single(page.FindAll("[data-testid=scim-token]"));

        App.Clock.Advance(TimeSpan.FromMinutes(5));
        OpenDialog(page, "regenerate-token");
        var options = dialogs.WaitForElements("[data-testid=grace-options] input[type=radio]");
        Assert.Equal(3, options.Count);
        Assert.Contains("Revoke it immediately", dialogs.Find("[data-testid=grace-options]").TextContent, StringComparison.Ordinal);
        await options[2].ClickAsync(new()); // 24 hours
        await dialogs.Find("[data-testid=regenerate-confirm]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=scim-token]").Count));
        var rows = page.FindAll("[data-testid=scim-token]");
        Assert.Equal("true", rows[0].GetAttribute("data-current"));
        Assert.Equal("false", rows[1].GetAttribute("data-current"));
        var expires = App.Clock.GetUtcNow().UtcDateTime.AddHours(24);
        Assert.Contains("Expires " + SsoDisplayWhen(expires), rows[1].TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid=grace-note]"));
        Assert.True((await Tokens.ValidateAsync(first, Team.Slug, Ct)).Succeeded);
    }

    [Fact]
    public async Task DefaultsForm_SavesTheTeamsDefaultsForProvisionedAccounts()
    {
        var page = RenderPage();
        page.WaitForElement("[data-testid=save-defaults]");

        var radios = page.FindAll("[data-testid=default-email-notifications] input[type=radio]");
        await radios[2].ClickAsync(new()); // None
        await page.Find("[data-testid=default-weekly-digest] input").ChangeAsync(new ChangeEventArgs { Value = false });
        await page.Find("[data-testid=default-welcome-tour] input").ChangeAsync(new ChangeEventArgs { Value = false });
        await page.Find("[data-testid=save-defaults]").ClickAsync(new());

        snackbars.WaitForAssertion(() => Assert.Contains("Defaults for provisioned accounts saved.", snackbars.Markup, StringComparison.Ordinal));
        Assert.Equal(new ProvisioningDefaults(EmailNotifications.None, false, false),
            await Tokens.GetDefaultsAsync(Team.Id, Ct));
    }

    [Fact]
    public async Task SsoForm_WithABadIssuer_ShowsTheFieldError_AndSavesNothing()
    {
        var page = RenderPage();

        page.Find("#sso-issuer").Change("http://login.example.com/oauth2/default");
        page.Find("#sso-client-id").Change("catalytic");
        page.Find("#sso-client-secret").Change("s3cret");
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("must use HTTPS", page.Find("[data-testid=sso-connection]").TextContent, StringComparison.Ordinal));
        Assert.Null(await App.Get<SsoConnectionService>().GetAsync(Team.Id, Ct));
        Assert.Equal("SSO not configured", page.Find("[data-testid=sso-status]").TextContent.Trim());
        Assert.True(Toggle(page).HasAttribute("disabled"));
    }

    [Fact]
    public async Task RemoveSso_AsksFirst_WarnsThatScimGoesOff_AndTurnsItOff()
    {
        await App.ConnectSsoAsync(Team, idp);
        await App.EnableScimAsync(Team);
        var page = RenderPage();

        OpenDialog(page, "remove-sso");
        dialogs.WaitForElement("[data-testid=remove-sso-scim-warning]");
        await dialogs.Find("[data-testid=remove-sso-confirm]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("SSO not configured", page.Find("[data-testid=sso-status]").TextContent.Trim()));
        Assert.Null(await App.Get<SsoConnectionService>().GetAsync(Team.Id, Ct));
        Assert.False((await Tokens.GetStatusAsync(Team.Id, Ct)).Enabled);
        Assert.NotNull(page.Find("[data-testid=scim-toggle-reason]"));
    }

    [Fact]
    public async Task SsoForm_SavingAnotherClient_WarnsThatMembersAreLinkedAgain_AndOnlyThenForgetsTheBindings()
    {
        var client = await App.ConnectSsoAsync(Team, idp);
        var member = await App.CreateUserAsync(Team, "dana", UserSource.Idp);
        Assert.NotNull((await App.Get<UserDirectory>().TryBindSsoSubjectAsync(member, idp.Issuer + "/", "00u-dana", Ct))?.User);
        var page = RenderPage();
        page.Find("#sso-client-id").Change("another-client");
        page.Find("#sso-client-secret").Change("another-client-secret"); // another client: its secret is asked again

        var cancelled = page.Find("form").SubmitAsync();
        dialogs.WaitForAssertion(() => Assert.Contains("linked again on their next sign-in", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.Button("Cancel").ClickAsync(new());
        await cancelled;

        Assert.Equal(client.ClientId, (await App.Get<SsoConnectionService>().GetAsync(Team.Id, Ct))!.ClientId);
        Assert.Equal("00u-dana", (await App.Get<UserDirectory>().FindAsync(Team.Id, member.Id, Ct))!.SsoSubject);

        var saved = page.Find("form").SubmitAsync();
        dialogs.WaitForAssertion(() => Assert.Contains("linked again on their next sign-in", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.Button("Save").ClickAsync(new());
        await saved;

        Assert.Equal("another-client", (await App.Get<SsoConnectionService>().GetAsync(Team.Id, Ct))!.ClientId);
        Assert.Null((await App.Get<UserDirectory>().FindAsync(Team.Id, member.Id, Ct))!.SsoSubject);
    }

    [Fact]
    public async Task TestSignInResult_FromTheQuery_IsShownWithTheReason()
    {
        await App.ConnectSsoAsync(Team, idp);
        var page = RenderPage("/admin/sso?test=failed&reason=" + Uri.EscapeDataString("The provider said no."));

        Assert.Equal("Test sign-in failed: The provider said no.", page.Find("[data-testid=test-result]").TextContent.Trim());
        Assert.Contains("No successful test sign-in yet", page.Find("[data-testid=last-test-sign-in]").TextContent, StringComparison.Ordinal);
    }

    // Not awaited: the click's handler waits for the dialog's answer, which the test gives next.
    private static void OpenDialog(IRenderedComponent<SsoSettings> page, string testId) => page.Find($"[data-testid={testId}]").Click();

    private static IElement Toggle(IRenderedComponent<SsoSettings> page) => page.Find("[data-testid=scim-toggle] input");

    private static string SsoDisplayWhen(DateTime utc) => Catalytic.Admin.Components.Pages.Admin.Sso.SsoDisplay.When(utc);
}
