using System.Net;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Catalytic.Admin.Tests.Sso;

public sealed class LocalSignInTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam acme = null!;

    public async ValueTask InitializeAsync() => acme = await app.CreateTeamAsync("acme");

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private HttpClient Browser() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Fact]
    public async Task AdminPage_WithoutSession_RedirectsToLogin()
    {
        var response = await Browser().GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalSignIn_WithRightPassword_OpensAdminArea()
    {
        var client = await app.SignInAsync(acme);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task LocalSignIn_WithWrongPassword_ShowsErrorAndNoSession()
    {
        var client = Browser();
        var response = await AppFactory.PostLoginAsync(client, acme.Slug, acme.AdminUserName, "wrong-password-123");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("login-error", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task LocalSignIn_ForUserWithoutPassword_Fails()
    {
        await app.Get<UserDirectory>().CreateAsync(acme.Id, new UserProfile { UserName = "member1" }, UserSource.Idp);
        var response = await AppFactory.PostLoginAsync(Browser(), acme.Slug, "member1", "any-password-123");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("login-error", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_OfDeactivatedAdmin_EndsOnNextRequest()
    {
        var client = await app.SignInAsync(acme);
        var users = app.Get<UserDirectory>();
        var second = await users.CreateLocalAdminAsync(acme.Id, "backupadmin", AppFactory.AdminPassword);
        var admin = await users.FindByUserNameAsync(acme.Id, acme.AdminUserName);
        Assert.True((await users.SetActiveAsync(acme.Id, admin!.Id, active: false, UserSource.Admin)).Succeeded);

        var response = await client.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.NotNull(second.User);
    }

    [Fact]
    public async Task SignOut_WithoutAntiforgeryToken_IsRefused()
    {
        var client = await app.SignInAsync(acme);
        var response = await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task SignOut_WithAntiforgeryToken_EndsSession()
    {
        var client = await app.SignInAsync(acme);
        var page = await client.GetStringAsync("/admin");
        var response = await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(page),
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task LocalSignIn_ManyWrongPasswords_AreThrottled()
    {
        var client = Browser();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 15; i++)
        {
            var response = await client.PostAsync($"/login?team={acme.Slug}", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.UserName"] = acme.AdminUserName,
                ["Input.Password"] = "guess" + i,
            }));
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }
}
