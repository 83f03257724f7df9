using System.Net;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Teams;

public sealed class FirstRunSetupTests : IAsyncLifetime
{
    private readonly AppFactory app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private string Code => app.Get<FirstRunSetup>().Code;

    private HttpClient Browser() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Fact]
    public async Task Setup_WithoutCode_ShowsBadCodeMessage_AndNoForm()
    {
        var html = await Browser().GetStringAsync("/setup");
        Assert.Contains("data-testid=\"setup-bad-code\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("setup-submit", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_WithWrongCode_IsRefused()
    {
        var html = await Browser().GetStringAsync("/setup?code=00000000000000000000000000000000");
        Assert.Contains("setup-bad-code", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_WithCode_CreatesTeamAndAdmin_SignsInAndRedirectsToSsoSettings()
    {
        var client = Browser();
        var response = await PostSetupAsync(client, Code, "acme-corp", "Acme Corp", "erika", "a-long-enough-password");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin/sso", new Uri(client.BaseAddress!, response.Headers.Location!).AbsolutePath);
        var team = await app.Get<TeamService>().FindBySlugAsync("acme-corp");
        Assert.NotNull(team);
        Assert.Equal("Acme Corp", team.Name);

        var admin = await app.Get<Catalytic.Admin.Users.UserDirectory>().FindByUserNameAsync(team.Id, "erika");
        Assert.True(admin?.IsAdmin);
        Assert.DoesNotContain("a-long-enough-password", admin!.PasswordHash!, StringComparison.Ordinal);

        // The session cookie from setup opens the admin area.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task Setup_SecondTimeAfterTeamExists_IsRefused()
    {
        var code = Code;
        await PostSetupAsync(Browser(), code, "acme", "Acme", "erika", "a-long-enough-password");

        var html = await Browser().GetStringAsync($"/setup?code={code}");
        Assert.Contains("setup-complete", html, StringComparison.Ordinal);
        await using var db = await app.DbAsync();
        Assert.Equal(1, await db.Teams.CountAsync());
    }

    [Theory]
    [InlineData("Acme Corp", "error-team-slug")]
    [InlineData("-acme", "error-team-slug")]
    [InlineData("admin", "error-team-slug")]
    public async Task Setup_WithBadSlug_ShowsFieldError_AndSavesNothing(string slug, string errorId)
    {
        var response = await PostSetupAsync(Browser(), Code, slug, "Acme", "erika", "a-long-enough-password");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"data-testid=\"{errorId}\"", html, StringComparison.Ordinal);
        Assert.False(await app.Get<TeamService>().AnyTeamAsync());
    }

    [Fact]
    public async Task Setup_WithEmailAsAdminUserName_ShowsUserNameRule_AndSavesNothing()
    {
        var response = await PostSetupAsync(Browser(), Code, "acme", "Acme", "erika@example.com", "a-long-enough-password");
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Contains("error-admin-username", html, StringComparison.Ordinal);
        Assert.Contains("only the letters", html, StringComparison.Ordinal);
        Assert.False(await app.Get<TeamService>().AnyTeamAsync());
    }

    [Fact]
    public async Task Setup_WithShortPassword_ShowsError()
    {
        var response = await PostSetupAsync(Browser(), Code, "acme", "Acme", "erika", "short");
        Assert.Contains("error-admin-password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await app.Get<TeamService>().AnyTeamAsync());
    }

    [Fact]
    public async Task Setup_WithMismatchedPasswords_ShowsError()
    {
        var response = await PostSetupAsync(Browser(), Code, "acme", "Acme", "erika", "a-long-enough-password", confirm: "another-long-password");
        Assert.Contains("error-admin-password2", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await app.Get<TeamService>().AnyTeamAsync());
    }

    [Fact]
    public async Task Setup_PostWithWrongCode_CreatesNothing()
    {
        await PostSetupAsync(Browser(), "ffffffffffffffffffffffffffffffff", "acme", "Acme", "erika", "a-long-enough-password", pageCode: Code);
        Assert.False(await app.Get<TeamService>().AnyTeamAsync());
    }

    [Fact]
    public async Task Setup_ManyWrongAttempts_AreThrottled()
    {
        var client = Browser();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 15; i++)
        {
            var response = await client.PostAsync("/setup", new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Code"] = "wrong" }));
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    private static async Task<HttpResponseMessage> PostSetupAsync(
        HttpClient client, string code, string slug, string name, string admin, string password, string? confirm = null, string? pageCode = null)
    {
        var page = await client.GetStringAsync($"/setup?code={pageCode ?? code}");
        return await client.PostAsync($"/setup?code={pageCode ?? code}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(page),
            ["Input.Code"] = code,
            ["Input.TeamName"] = name,
            ["Input.Slug"] = slug,
            ["Input.AdminUserName"] = admin,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = confirm ?? password,
        }));
    }
}
