using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Users;
using Catalytic.Admin.Tests.Infrastructure;

namespace Catalytic.Admin.Tests.Provisioning;

public sealed class ProvisioningLogQueryTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    private ProvisioningLog Log => app.Get<ProvisioningLog>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Summary_CountsRequestsAndFailuresSinceTheCutoff_AndKnowsTheLatestRequest()
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        Record(now.AddHours(-30), "create", 500);
        Record(now.AddHours(-2), "create", 201);
        Record(now.AddHours(-1), "create", 409);
        Record(now.AddMinutes(-1), "lookup", 200);
        var otherTeam = await app.CreateTeamAsync("globex");
        Log.Record(new ProvisioningEvent { TeamId = otherTeam.Id, At = now, Method = "GET", Path = "/", Status = 401 });
        await Log.FlushAsync(Ct);

        var summary = await Log.SummaryAsync(team.Id, now.AddHours(-24), Ct);

        Assert.Equal(3, summary.RequestsSince);
        Assert.Equal(1, summary.FailedSince);
        Assert.Equal("lookup", summary.Last?.Operation);
    }

    [Fact]
    public async Task Summary_ForATeamThatNeverUsedScim_IsEmpty()
    {
        var summary = await Log.SummaryAsync(team.Id, DateTime.UtcNow.AddDays(-1), Ct);

        Assert.Equal(new ActivitySummary(0, 0, null), summary);
    }

    [Fact]
    public async Task RecentOperations_AreDistinctAndSorted()
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        Record(now, "update", 200);
        Record(now, "create", 201);
        Record(now, "create", 409);
        await Log.FlushAsync(Ct);

        Assert.Equal(["create", "update"], await Log.RecentOperationsAsync(team.Id, Ct));
    }

    [Fact]
    public async Task Events_AreSavedByTheBackgroundWriter_WithoutAFlush()
    {
        var saved = new TaskCompletionSource<IReadOnlyCollection<Guid>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Log.Recorded += teams => saved.TrySetResult(teams);

        Record(app.Clock.GetUtcNow().UtcDateTime, "create", 201);

        // Within the writer's one-second batch window, with room for a slow machine.
        Assert.Contains(team.Id, await saved.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct));
        Assert.Single(await Log.ListAsync(team.Id, new ActivityQuery(), Ct));
    }

    [Fact]
    public async Task MoreEventsThanOneBatch_AreAllSaved_InOrder()
    {
        var start = app.Clock.GetUtcNow().UtcDateTime;
        for (var i = 0; i < 4_500; i++)
        {
            Record(start.AddMilliseconds(i), i % 2 == 0 ? "create" : "lookup", 200);
        }

        await Log.FlushAsync(Ct);

        var newest = await Log.ListAsync(team.Id, new ActivityQuery { Take = 2 }, Ct);
        Assert.Equal([start.AddMilliseconds(4_499), start.AddMilliseconds(4_498)], newest.Select(e => e.At));
        Assert.Equal(4_500, (await Log.SummaryAsync(team.Id, start.AddDays(-1), Ct)).RequestsSince);
    }

    [Fact]
    public async Task ALongBatch_SharesTheDatabaseWithUserWrites_AndBothComplete()
    {
        var start = app.Clock.GetUtcNow().UtcDateTime;
        for (var i = 0; i < 6_000; i++)
        {
            Record(start.AddMilliseconds(i), "lookup", 200);
        }

        // User writes arrive while the log saves: it lets them go first between pieces of its batch.
        var users = app.Get<UserDirectory>();
        var flush = Log.FlushAsync(Ct);
        var creates = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => users.CreateAsync(
            team.Id, new UserProfile { UserName = $"writer{i}", Email = $"writer{i}@example.org" }, UserSource.Admin, Ct)));
        await flush;

        Assert.All(creates, result => Assert.Null(result.Error));
        Assert.Equal(6_000, (await Log.SummaryAsync(team.Id, start.AddDays(-1), Ct)).RequestsSince);
    }

    private void Record(DateTime at, string operation, int status) => Log.Record(TestEvents.UsersRequest(team, at, operation, status));
}
