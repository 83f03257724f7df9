using Catalytic.Admin.Data;

namespace Catalytic.Admin.Tests.Data;

public sealed class DatabaseWriteGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneWriterAtATime_TheNextWaitsUntilTheTurnEnds_AndIsSeenWaiting()
    {
        var gate = DatabaseWriteGate.OneWriterAtATime();
        var first = await gate.EnterAsync(Ct);

        var second = gate.EnterAsync(Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(second.IsCompleted);
        Assert.True(gate.OthersWaiting);

        first.Dispose();
        using (await second.WaitAsync(TimeSpan.FromSeconds(10), Ct))
        {
            Assert.False(gate.OthersWaiting);
        }
    }

    [Fact]
    public async Task EndingATurnTwice_ReleasesItOnce()
    {
        var gate = DatabaseWriteGate.OneWriterAtATime();
        var turn = await gate.EnterAsync(Ct);
        turn.Dispose();
        turn.Dispose();

        using var next = await gate.EnterAsync(Ct);
        var third = gate.EnterAsync(Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(third.IsCompleted);
        next.Dispose();
        (await third).Dispose();
    }

    [Fact]
    public async Task AWriterThatGivesUpWaiting_LeavesTheGateUsable()
    {
        var gate = DatabaseWriteGate.OneWriterAtATime();
        var held = await gate.EnterAsync(Ct);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await gate.EnterAsync(giveUp.Token));

        Assert.False(gate.OthersWaiting);
        held.Dispose();
        using var next = await gate.EnterAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task ManyWriters_NeverOverlap()
    {
        var gate = DatabaseWriteGate.OneWriterAtATime();
        var inside = 0;
        var overlaps = 0;
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            using var turn = await gate.EnterAsync(Ct);
            if (Interlocked.Increment(ref inside) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            Interlocked.Decrement(ref inside);
        }, Ct)));

        Assert.Equal(0, overlaps);
    }

    [Fact]
    public async Task Open_NeverWaits()
    {
        var gate = DatabaseWriteGate.Open();
        using var first = await gate.EnterAsync(Ct);
        using var second = await gate.EnterAsync(Ct);
        Assert.False(gate.OthersWaiting);
    }
}
