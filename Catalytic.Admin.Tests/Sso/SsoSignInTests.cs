using System.Net;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>Member and admin sign-in through the real OpenID Connect provider running in the test process.</summary>
public sealed class SsoSignInTests(TestIdentityProvider idp) : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam acme = null!;

    public async ValueTask InitializeAsync()
    {
        acme = await app.CreateTeamAsync("acme");
        await app.ConnectSsoAsync(acme, idp);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SsoSignIn_ForProvisionedMember_MatchesUserNameCaseInsensitively_AndStartsASession()
    {
        var member = await CreateMemberAsync("Alice");
        using var client = app.CreateBrowserClient();

        var callback = await AppFactory.SsoRoundTripAsync(client, idp, $"/login/sso/{acme.Slug}", "ALICE");

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Contains(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith("catalytic.session=", StringComparison.Ordinal));
        var home = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains($"data-testid=\"member-username\">{member.UserName}<", await home.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.NotNull((await app.Get<UserDirectory>().FindAsync(acme.Id, member.Id, Ct))!.LastSignInAt);
    }

    private async Task<User> CreateMemberAsync(string userName)
    {
        var result = await app.Get<UserDirectory>().CreateAsync(acme.Id, new UserProfile { UserName = userName, Email = $"{userName}@example.test" }, UserSource.Idp, Ct);
        Assert.True(result.Succeeded, result.Error?.Detail);
        return result.User!;
    }
}
