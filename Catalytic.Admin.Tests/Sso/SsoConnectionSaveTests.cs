using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Sso;

/// <summary>Saving a connection verifies the issuer for real; a bad one saves nothing and says why.</summary>
public sealed class SsoConnectionSaveTests(AppFactory app, TestIdentityProvider idp) : IClassFixture<AppFactory>, IAsyncLifetime
{
    private TestTeam team = null!;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync("t" + Guid.NewGuid().ToString("N")[..10]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Save_WithTheProvidersIssuer_VerifiesAndSaves_WithTheSecretEncrypted()
    {
        var client = await idp.RegisterClientAsync("https://localhost/signin-oidc/" + team.Slug);

        var errors = await SaveAsync(idp.Issuer, client.ClientId, client.ClientSecret);

        Assert.Empty(errors);
        var saved = await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct);
        Assert.True(saved!.IsConfigured);
        Assert.True(saved.HasClientSecret);
        await using var db = await app.DbAsync();
        var row = db.SsoConnections.Single(c => c.TeamId == team.Id);
        Assert.DoesNotContain(client.ClientSecret, row.ProtectedClientSecret, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_WithUnreachableIssuer_SaysItCouldNotReachIt_AndSavesNothing()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var errors = await SaveAsync("http://127.0.0.1:1", "catalytic", "secret");

        Assert.StartsWith("Could not fetch the discovery document from http://127.0.0.1:1:", errors["issuer"], StringComparison.Ordinal);
        await AssertNothingSavedAsync();
    }

    [Fact]
    public async Task Save_WithIssuerMismatch_NamesBothIssuers_AndSavesNothing()
    {
        // The same provider under another host name: its discovery document names its real issuer.
        var other = idp.Issuer.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

        var errors = await SaveAsync(other, "catalytic", "secret");

        Assert.StartsWith("Issuer mismatch:", errors["issuer"], StringComparison.Ordinal);
        Assert.Contains(idp.Issuer, errors["issuer"], StringComparison.Ordinal);
        Assert.Contains(other, errors["issuer"], StringComparison.Ordinal);
        await AssertNothingSavedAsync();
    }

    [Fact]
    public async Task Save_WithPlainHttpIssuerThatIsNotLoopback_RequiresHttps_AndSavesNothing()
    {
        var errors = await SaveAsync("http://login.example.com/oauth2/default", "catalytic", "secret");

        Assert.Contains("must use HTTPS", errors["issuer"], StringComparison.Ordinal);
        await AssertNothingSavedAsync();
    }

    [Fact]
    public async Task Save_WithEmptyClientId_AsksForIt_AndSavesNothing()
    {
        var errors = await SaveAsync(idp.Issuer, "  ", "secret");

        Assert.StartsWith("Client ID is required", errors["clientId"], StringComparison.Ordinal);
        Assert.False(errors.ContainsKey("issuer"));
        await AssertNothingSavedAsync();
    }

    [Fact]
    public async Task Save_ThatFails_KeepsThePreviousConnectionUntouched()
    {
        await app.ConnectSsoAsync(team, idp);
        var before = await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct);

        var errors = await SaveAsync("http://127.0.0.1:1", "another-client", "another-secret");

        Assert.True(errors.ContainsKey("issuer"));
        Assert.Equal(before, await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct));
    }

    [Fact]
    public async Task Save_WithAnotherClientIdAndNoSecret_AsksForTheSecretAgain_AndKeepsTheSavedConnection()
    {
        var first = await app.ConnectSsoAsync(team, idp);
        var second = await idp.RegisterClientAsync("https://localhost/signin-oidc/" + team.Slug);

        var errors = await SaveAsync(idp.Issuer, second.ClientId, "");

        Assert.StartsWith("Enter the client secret again: the issuer or client ID changed", errors["clientSecret"], StringComparison.Ordinal);
        var runtime = app.Get<SsoConnectionService>().GetRuntimeConnection(team.Id);
        Assert.Equal((first.ClientId, first.ClientSecret), (runtime!.ClientId, runtime.ClientSecret));
    }

    [Fact]
    public async Task Save_WithAnotherIssuerAndNoSecret_AsksForTheSecretAgain_BeforeContactingIt()
    {
        var first = await app.ConnectSsoAsync(team, idp);

        // The secret rule comes before verification: the new issuer is never asked for anything with the old secret.
        var errors = await SaveAsync("https://other-idp.example.test", first.ClientId, "");

        Assert.StartsWith("Enter the client secret again", errors["clientSecret"], StringComparison.Ordinal);
        Assert.False(errors.ContainsKey("issuer"));
        Assert.Equal(idp.Issuer, (await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct))!.Issuer);
    }

    [Fact]
    public async Task Save_WithTheSameIssuerAndClientIdAndNoSecret_KeepsTheSavedSecret()
    {
        var first = await app.ConnectSsoAsync(team, idp);

        var errors = await app.Get<SsoConnectionService>().SaveAsync(team.Id, new SsoConnectionInput
        {
            Issuer = idp.Issuer + "/",
            ClientId = " " + first.ClientId,
            ClientSecret = "",
            Scopes = "openid email",
        }, Ct);

        Assert.Empty(errors);
        var runtime = app.Get<SsoConnectionService>().GetRuntimeConnection(team.Id);
        Assert.Equal(first.ClientSecret, runtime!.ClientSecret);
        Assert.Equal(["openid", "email"], runtime.Scopes);
    }

    private Task<IReadOnlyDictionary<string, string>> SaveAsync(string issuer, string clientId, string secret) =>
        app.Get<SsoConnectionService>().SaveAsync(team.Id, new SsoConnectionInput { Issuer = issuer, ClientId = clientId, ClientSecret = secret }, Ct);

    private async Task AssertNothingSavedAsync() => Assert.Null(await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct));
}
