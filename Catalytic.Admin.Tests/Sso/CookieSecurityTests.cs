using System.Net;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>
/// The session and antiforgery cookies are Secure whenever the public address is https, even when a TLS-terminating
/// proxy forwards plain http without saying so; without a public address they follow the request (dotnet run on http).
/// </summary>
public sealed class CookieSecurityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HttpsPublicBaseUrl_OverPlainHttp_SessionAndAntiforgeryCookiesAreSecure()
    {
        await using var app = new AppFactory().WithSetting("Catalytic:PublicBaseUrl", "https://admin.example.com");

        var (antiforgery, session) = await SignInOverPlainHttpAsync(app);

        Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://admin.example.com")]
    public async Task NoHttpsPublicBaseUrl_OverPlainHttp_CookiesAreNotSecure(string publicBaseUrl)
    {
        await using var app = new AppFactory().WithSetting("Catalytic:PublicBaseUrl", publicBaseUrl);

        var (antiforgery, session) = await SignInOverPlainHttpAsync(app);

        Assert.DoesNotContain("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("; secure", session, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The local sign-in form over http, carrying the cookies by hand: a cookie container would not send a Secure
    /// cookie back over http, which is the point of the flag.
    /// </summary>
    private static async Task<(string Antiforgery, string Session)> SignInOverPlainHttpAsync(AppFactory app)
    {
        var team = await app.CreateTeamAsync("acme");
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        var page = await client.GetAsync($"/login?team={team.Slug}", Ct);
        var antiforgery = Assert.Single(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/login?team={team.Slug}")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = AppFactory.AntiforgeryToken(await page.Content.ReadAsStringAsync(Ct)),
                ["Input.Team"] = team.Slug,
                ["Input.UserName"] = team.AdminUserName,
                ["Input.Password"] = AppFactory.AdminPassword,
            }),
        };
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        var signedIn = await client.SendAsync(post, Ct);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var session = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("catalytic.session=", StringComparison.Ordinal));
        return (antiforgery, session);
    }
}
