using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Scim;

public sealed class SecretsNeverLoggedTests : IAsyncLifetime
{
    private readonly AppFactory app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ScimTokens_AcceptedRefusedAndRotated_NeverAppearInLogsAtAnyLevel()
    {
        var team = await app.CreateTeamAsync("acme");
        var token = await app.EnableScimAsync(team);
        using (var client = app.CreateScimClient(team, token))
        {
            await client.GetAsync("ServiceProviderConfig");
        }

        var rotated = await app.Get<ScimTokenService>().RotateAsync(team.Id, TimeSpan.Zero);
        using (var refused = app.CreateScimClient(team, token))
        {
            await refused.GetAsync("ServiceProviderConfig");
        }

        using (var wrongTeam = app.CreateScimClient(new TestTeam(Guid.Empty, "globex", "x"), rotated))
        {
            await wrongTeam.GetAsync("ServiceProviderConfig");
        }

        Assert.NotEmpty(app.Logs.Lines);
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(rotated, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(token[ScimTokenService.TokenPrefix.Length..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task AdminPassword_NeverAppearsInLogs()
    {
        var team = await app.CreateTeamAsync("acme");
        await app.SignInAsync(team);
        await AppFactory.PostLoginAsync(app.CreateClient(), team.Slug, team.AdminUserName, "wrong-" + AppFactory.AdminPassword);

        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(AppFactory.AdminPassword, StringComparison.Ordinal));
    }
}
