using System.Net;
using Catalytic.Admin.Sso;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>SSO helpers: a team connected to the test identity provider, and HTTP-driven sign-in round trips.</summary>
public partial class AppFactory
{
    /// <summary>
    /// The in-process app as a browser sees it. HTTPS, because the OIDC correlation and nonce cookies are Secure.
    /// </summary>
    public const string BrowserBase = "https://localhost";

    public HttpClient CreateBrowserClient() => CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = true,
        BaseAddress = new Uri(BrowserBase),
    });

    /// <summary>
    /// Registers a client at the provider for this team's redirect URI and saves the team's SSO connection through
    /// the same service the SSO Settings page uses (so the issuer is really verified).
    /// </summary>
    public async Task<TestIdpClient> ConnectSsoAsync(TestTeam team, TestIdentityProvider idp, string appBase = BrowserBase, string? uniqueIdClaim = null)
    {
        var client = await idp.RegisterClientAsync(appBase + TeamOidcSchemes.CallbackPath(team.Slug));
        var errors = await Get<SsoConnectionService>().SaveAsync(team.Id, new SsoConnectionInput
        {
            Issuer = idp.Issuer,
            ClientId = client.ClientId,
            ClientSecret = client.ClientSecret,
            UniqueIdClaim = uniqueIdClaim ?? SsoDefaults.UniqueIdClaim,
        });
        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")));
        return client;
    }

    /// <summary>
    /// Runs a whole SSO round trip: GET <paramref name="startPath"/> on the app (the challenge), sign in at the
    /// provider as <paramref name="userName"/>, then GET the app's callback. Returns the callback's response.
    /// </summary>
    public static async Task<HttpResponseMessage> SsoRoundTripAsync(
        HttpClient appClient, TestIdentityProvider idp, string startPath, string userName, IReadOnlyDictionary<string, string>? claims = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var challenge = await appClient.GetAsync(startPath, ct);
        Assert.True(challenge.StatusCode == HttpStatusCode.Redirect, $"Expected a redirect to the provider, got {(int)challenge.StatusCode}.");
        var authorize = challenge.Headers.Location!;

        var callback = await idp.SignInAsync(authorize, userName, claims, ct);
        Assert.StartsWith(appClient.BaseAddress!.ToString().TrimEnd('/'), callback.ToString(), StringComparison.Ordinal);
        return await appClient.GetAsync(callback.PathAndQuery, ct);
    }
}
