using System.Net;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>
/// Every place that takes a return URL (SSO start, the login page, local sign-in, sign-out) sends people only to a
/// path on this site: the browser must not be able to read the Location as another host.
/// </summary>
public sealed class ReturnUrlTests(AppFactory app, TestIdentityProvider idp) : IClassFixture<AppFactory>, IAsyncLifetime
{
    private TestTeam acme = null!;

    public async ValueTask InitializeAsync()
    {
        acme = await app.CreateTeamAsync("t" + Guid.NewGuid().ToString("N")[..10]);
        await app.ConnectSsoAsync(acme, idp);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>As the server receives them (already URL-decoded once by the query or form binding).</summary>
    public static TheoryData<string> Hostile() =>
    [
        "/\t/evil.example",
        "\t//evil.example",
        "/\r/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\u007F/evil.example",
        "/\u0085/evil.example",
        "/\u2028/evil.example",
        "/\u2029/evil.example",
        "/\u200B/evil.example",
        "/\u00A0/evil.example",
        "/ /evil.example",
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "/%E2%80%A8/evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "/admin%5C..%5C..",
        "//evil.example",
        "///evil.example",
        "/%2F%2Fevil.example",
        "/%2Fevil.example",
        "/%252F/evil.example",
        "/%25252F%25252Fevil.example",
        "https://evil.example",
        "http:/evil.example",
        "evil.example",
        "~/evil",
        "javascript:alert(1)",
    ];

    public static TheoryData<string> Local() => ["/", "/admin/users", "/admin/users?q=a%20b&page=2", "/me/notifications#top", "/caf%C3%A9"];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void IsLocal_RefusesEveryWayOffTheSite(string returnUrl)
    {
        Assert.False(ReturnUrls.IsLocal(returnUrl));
        Assert.Equal("/fallback", ReturnUrls.LocalOr(returnUrl, "/fallback"));
    }

    [Theory]
    [MemberData(nameof(Local))]
    public void IsLocal_KeepsPathsOnTheSite(string returnUrl) => Assert.Equal(returnUrl, ReturnUrls.LocalOr(returnUrl));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void LocalOr_WithNoReturnUrl_FallsBackHome(string? returnUrl) => Assert.Equal("/", ReturnUrls.LocalOr(returnUrl));

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task SignOut_WithHostileReturnUrl_RedirectsToTheLoginPage(string returnUrl)
    {
        // Signed out already (sign-ins are throttled, and this runs many times): the fallback is the login page.
        using var client = app.CreateBrowserClient();

        var response = await SignOutAsync(client, $"/login?team={acme.Slug}", returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", Location(response));
    }

    [Fact]
    public async Task SignOut_WithLocalReturnUrl_GoesThere()
    {
        using var client = await app.SignInAsync(acme);

        var response = await SignOutAsync(client, "/admin", "/admin/users?page=2");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin/users?page=2", Location(response));
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/admin", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task LoginPage_WithHostileReturnUrl_StartsSsoWithReturnUrlHome(string returnUrl)
    {
        using var client = app.CreateBrowserClient();

        var page = await client.GetStringAsync($"/login?team={acme.Slug}&returnUrl={Uri.EscapeDataString(returnUrl)}", Ct);

        Assert.Contains($"href=\"/login/sso/{acme.Slug}?returnUrl=%2F\"", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/\\evil.example")]
    public async Task LocalSignIn_WithHostileReturnUrl_LandsOnTheAdminHome(string returnUrl)
    {
        using var client = app.CreateBrowserClient();
        var page = await client.GetStringAsync($"/login?team={acme.Slug}", Ct);

        var response = await client.PostAsync($"/login?team={acme.Slug}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(page),
            ["Input.Team"] = acme.Slug,
            ["Input.ReturnUrl"] = returnUrl,
            ["Input.UserName"] = acme.AdminUserName,
            ["Input.Password"] = AppFactory.AdminPassword,
        }), Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin", new Uri(new Uri(AppFactory.BrowserBase), Location(response)).PathAndQuery);
    }

    [Theory]
    [InlineData("%2F%09%2Fevil.example")]
    [InlineData("%2F%5Cevil.example")]
    [InlineData("%2F%252F%2Fevil.example")]
    public async Task SsoSignIn_WithHostileReturnUrl_EndsOnALocalPath(string encodedReturnUrl)
    {
        await CreateMemberAsync("ivan");
        using var client = app.CreateBrowserClient();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}?returnUrl={encodedReturnUrl}", "ivan");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        // Home, or home with the welcome tour.
        Assert.Equal("/", Location(callback).Split('?')[0]);
    }

    [Fact]
    public async Task SsoSignIn_WithLocalReturnUrl_EndsThere()
    {
        await CreateMemberAsync("judy");
        using var client = app.CreateBrowserClient();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}?returnUrl=%2Fme%2Fnotifications", "judy");

        Assert.Equal("/me/notifications", Location(callback));
    }

    /// <summary>The raw header: a hostile value may not even parse as a URI.</summary>
    private static string Location(HttpResponseMessage response) => response.Headers.NonValidated["Location"].ToString();

    private static async Task<HttpResponseMessage> SignOutAsync(HttpClient client, string formPage, string returnUrl)
    {
        var page = await client.GetStringAsync(formPage, Ct);
        return await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(page),
            ["returnUrl"] = returnUrl,
        }), Ct);
    }

    private async Task CreateMemberAsync(string userName)
    {
        var result = await app.Get<UserDirectory>().CreateAsync(acme.Id, new UserProfile { UserName = userName }, UserSource.Idp, Ct);
        Assert.True(result.Succeeded, result.Error?.Detail);
    }
}
