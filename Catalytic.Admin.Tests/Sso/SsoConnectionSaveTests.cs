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

        var errors = await SaveAsync("http://127.0.0.1:1", "another-client", "");

        Assert.True(errors.ContainsKey("issuer"));
        Assert.Equal(before, await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct));
    }

    private Task<IReadOnlyDictionary<string, string>> SaveAsync(string issuer, string clientId, string secret) =>
        app.Get<SsoConnectionService>().SaveAsync(team.Id, new SsoConnectionInput { Issuer = issuer, ClientId = clientId, ClientSecret = secret }, Ct);

    private async Task AssertNothingSavedAsync() => Assert.Null(await app.Get<SsoConnectionService>().GetAsync(team.Id, Ct));
}
