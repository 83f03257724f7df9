using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Scim;

public sealed class ScimAuthenticationTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam acme = null!;
    private string token = null!;

    public async ValueTask InitializeAsync()
    {
        acme = await app.CreateTeamAsync("acme");
        token = await app.EnableScimAsync(acme);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ServiceProviderConfig_WithTeamToken_Returns200ScimJson()
    {
        using var client = app.CreateScimClient(acme, token);
        var response = await client.GetAsync("ServiceProviderConfig", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ScimJson.MediaType, response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(body.RootElement.GetProperty("patch").GetProperty("supported").GetBoolean());
    }

    [Fact]
    public async Task Request_WithoutToken_Returns401ScimErrorNotRedirect()
    {
        using var client = app.CreateScimClient(acme, token);
        client.DefaultRequestHeaders.Authorization = null;
        await AssertUnauthorizedAsync(client);
    }

    [Fact]
    public async Task Request_WithUnknownToken_Returns401()
    {
        using var client = app.CreateScimClient(acme, ScimTokenService.TokenPrefix + "not-a-real-token");
        await AssertUnauthorizedAsync(client);
    }

    [Fact]
    public async Task Request_WithAnotherTeamsToken_Returns401()
    {
        var globex = await app.CreateTeamAsync("globex");
        var globexToken = await app.EnableScimAsync(globex);
        using var client = app.CreateScimClient(acme, globexToken);
        await AssertUnauthorizedAsync(client);
    }

    [Fact]
    public async Task Request_RightAfterScimTurnedOff_Returns401_AndWorksAgainAfterTurnedOn()
    {
        var tokens = app.Get<ScimTokenService>();
        using var client = app.CreateScimClient(acme, token);
        await tokens.DisableAsync(acme.Id);
        await AssertUnauthorizedAsync(client);

        var (newToken, error) = await tokens.EnableAsync(acme.Id);
        Assert.Null(error);
        Assert.Null(newToken); // Re-enabling keeps the token the IdP already has.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("ServiceProviderConfig", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task RotatedToken_WithImmediateRevocation_Returns401ForOldToken_AndNewTokenWorks()
    {
        var newToken = await app.Get<ScimTokenService>().RotateAsync(acme.Id, TimeSpan.Zero);

        using var oldClient = app.CreateScimClient(acme, token);
        await AssertUnauthorizedAsync(oldClient, "revoked");
        using var newClient = app.CreateScimClient(acme, newToken);
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("ServiceProviderConfig", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task RotatedToken_WithGrace_KeepsOldTokenUntilGraceEnds()
    {
        await app.Get<ScimTokenService>().RotateAsync(acme.Id, TimeSpan.FromHours(1));
        using var oldClient = app.CreateScimClient(acme, token);

        app.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await oldClient.GetAsync("ServiceProviderConfig", TestContext.Current.CancellationToken)).StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        await AssertUnauthorizedAsync(oldClient, "grace period");
    }

    [Fact]
    public async Task Token_IsStoredHashedAndEncrypted_NeverInPlainText()
    {
        await using var db = await app.DbAsync();
        foreach (var stored in db.ScimTokens)
        {
            Assert.DoesNotContain(token, stored.ProtectedValue, StringComparison.Ordinal);
            Assert.Equal(32, stored.Hash.Length);
        }

        Assert.Equal(token, await app.Get<ScimTokenService>().RevealCurrentAsync(acme.Id));
    }

    private static async Task AssertUnauthorizedAsync(HttpClient client, string? detailContains = null)
    {
        var response = await client.GetAsync("ServiceProviderConfig", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ScimJson.MediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("401", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(ScimError.Schema, body.RootElement.GetProperty("schemas")[0].GetString());
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, body.RootElement.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }
}
