using System.Globalization;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Provisioning;

/// <summary>The activity queue has a capacity: a full queue drops new entries, counts them and says so.</summary>
public sealed class ProvisioningLogBoundTests : IAsyncLifetime
{
    private const int Capacity = 5;
    private const int Recorded = 1000;

    private readonly AppFactory app = new AppFactory().WithSetting("Catalytic:Activity:MaxQueuedEvents", Capacity.ToString(CultureInfo.InvariantCulture));
    private TestTeam team = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync("acme");

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task FullQueue_DropsWithoutBlocking_AndReportsHowMany()
    {
        var log = app.Get<ProvisioningLog>();
        var at = app.Clock.GetUtcNow().UtcDateTime;

        // Far faster than the writer's one-second batches: the queue fills after the first few.
        for (var i = 0; i < Recorded; i++)
        {
            log.Record(TestEvents.UsersRequest(team, at, "lookup", 200));
        }

        // A SCIM request while the queue is full is answered as usual.
        using (var client = app.CreateScimClient(team, await app.EnableScimAsync(team)))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("ServiceProviderConfig", Ct)).StatusCode);
        }

        await log.FlushAsync(Ct);

        await using var db = await app.DbAsync();
        var events = await db.ProvisioningEvents.Where(e => e.TeamId == team.Id).ToListAsync(Ct);
        var saved = events.Count(e => e.Operation == "lookup");
        var scim = events.Count(e => e.Operation != "lookup" && e.Operation != ProvisioningLog.DroppedOperation);
        var reports = events.Where(e => e.Operation == ProvisioningLog.DroppedOperation).ToList();
        var dropped = reports.Sum(r => int.Parse(r.Detail!.Split(' ')[0], CultureInfo.InvariantCulture));
        Assert.InRange(saved, Capacity, Recorded - 1);
        Assert.Equal(Recorded + 1, saved + scim + dropped);
        Assert.NotEmpty(reports);
        Assert.All(reports, r =>
        {
            Assert.Matches("^[0-9]+ activity entries were dropped because the log could not keep up", r.Detail);
            Assert.False(r.Succeeded);
            Assert.Contains("MaxQueuedEvents", ActivityHints.For(r)!.Text, StringComparison.Ordinal);
        });
        Assert.Contains(app.Logs.Lines, line => line.Contains("activity entries were dropped because the log could not keep up", StringComparison.Ordinal));
    }
}
