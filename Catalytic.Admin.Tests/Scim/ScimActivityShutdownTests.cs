using System.Net;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>Provisioning activity queued in memory is written before the app stops.</summary>
public sealed class ScimActivityShutdownTests : IAsyncLifetime
{
    private readonly AppFactory app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task CleanShutdown_RightAfterABurstOfRequests_SavesEveryEvent()
    {
        var team = await app.CreateTeamAsync("acme");
        using var client = app.CreateScimClient(team, await app.EnableScimAsync(team));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.PostJsonAsync("Users", UserBody(UniqueName())).ExpectAsync(HttpStatusCode.Created)));

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopped = new TaskCompletionSource();
        lifetime.ApplicationStopped.Register(stopped.SetResult);
        lifetime.StopApplication();
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        await using var db = new SqliteConnection($"Data Source={app.DatabasePath};Pooling=False");
        await db.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = db.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM ProvisioningEvents WHERE Operation = 'create' AND Status = 201";
        Assert.Equal(20L, await count.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
