namespace Catalytic.Admin.Data;

/// <summary>
/// The busy writers of this process take turns here: the group commit of user creates, updates and deletes,
/// the activity log, and the WAL checkpointer's last pass. (Rare writes, such as an admin's change on a page,
/// meet SQLite's busy timeout instead.)
/// SQLite lets one connection write at a time, and one that finds the lock taken sleeps in SQLite's busy handler
/// (1, 2, 5, 10… ms, holding its thread) before trying again; here it waits without a thread and writes as soon
/// as the previous writer is done. A writer in another process (the CLI) still meets the busy timeout.
/// PostgreSQL takes concurrent writers itself, so there the gate stays open.
/// </summary>
public sealed class DatabaseWriteGate
{
    private readonly SemaphoreSlim? turns;
    private int waiting;

    private DatabaseWriteGate(SemaphoreSlim? turns) => this.turns = turns;

    public static DatabaseWriteGate OneWriterAtATime() => new(new SemaphoreSlim(1, 1));

    public static DatabaseWriteGate Open() => new(null);

    /// <summary>Whether a writer is waiting for its turn: a long writer (the activity log) lets it go first.</summary>
    public bool OthersWaiting => Volatile.Read(ref waiting) > 0;

    /// <summary>Waits for this writer's turn; disposing the result ends it.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken ct)
    {
        if (turns is not null && !turns.Wait(0, CancellationToken.None))
        {
            Interlocked.Increment(ref waiting);
            try
            {
                await turns.WaitAsync(ct);
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }
        }

        return new Turn(turns);
    }

    public sealed class Turn(SemaphoreSlim? turns) : IDisposable
    {
        private SemaphoreSlim? held = turns;

        public void Dispose() => Interlocked.Exchange(ref held, null)?.Release();
    }
}
