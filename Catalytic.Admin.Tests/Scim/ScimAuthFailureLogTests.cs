using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>The refused-authentication counters: summed in memory, upserted per flush, bounded, pruned.</summary>
public sealed class ScimAuthFailureLogTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ScimAuthFailureLog Refusals => app.Get<ScimAuthFailureLog>();

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync("acme");

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task CountsOfSeveralFlushes_AddUp_KeepingTheFirstTime()
    {
        var first = app.Clock.GetUtcNow().UtcDateTime;
        Refusals.Count(team.Id, "192.0.2.1");
        Refusals.Count(team.Id, "192.0.2.1");
        await Refusals.FlushAsync(Ct);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Refusals.Count(team.Id, "192.0.2.1");
        await Refusals.FlushAsync(Ct);

        var counter = Assert.Single(await Refusals.ListAsync(team.Id, ct: Ct));
        Assert.Equal(3, counter.Count);
        Assert.Equal(first, counter.FirstAt, TimeSpan.FromMilliseconds(1));
        Assert.Equal(first.AddMinutes(5), counter.LastAt, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task SourcesBeyondTheCap_AreSummedAsOther()
    {
        var sources = ScimAuthFailureLog.MaxPendingSources + 50;
        for (var i = 0; i < sources; i++)
        {
            Refusals.Count(team.Id, $"10.0.{i / 256}.{i % 256}");
        }

        await Refusals.FlushAsync(Ct);

        await using var db = await app.DbAsync();
        var rows = await db.ScimAuthFailureCounts.Where(c => c.TeamId == team.Id).ToListAsync(Ct);
        Assert.Equal(ScimAuthFailureLog.MaxPendingSources + 1, rows.Count);
        Assert.Equal(sources, rows.Sum(r => r.Count));
        Assert.Equal(50, rows.Single(r => r.Source == ScimAuthFailureLog.OtherSources).Count);
    }

    [Fact]
    public async Task Prune_RemovesCountersPastTheActivityRetention()
    {
        Refusals.Count(team.Id, "192.0.2.1");
        await Refusals.FlushAsync(Ct);
        app.Clock.Advance(TimeSpan.FromDays(91));
        Refusals.Count(team.Id, "192.0.2.2");
        await Refusals.FlushAsync(Ct);

        await Refusals.PruneAsync(Ct);

        Assert.Equal(["192.0.2.2"], (await Refusals.ListAsync(team.Id, ct: Ct)).Select(c => c.Source));
    }
}
