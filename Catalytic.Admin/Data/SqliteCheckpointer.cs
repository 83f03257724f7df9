using Microsoft.Data.Sqlite;

namespace Catalytic.Admin.Data;

/// <summary>
/// Copies the SQLite WAL back into the database file off the writers' path. Left to SQLite, the commit that
/// takes the WAL past 1,000 pages runs the checkpoint itself, and while it does every queued write waits: in the
/// benchmark's sync such commits took 10–40 ms, which set the writes' p95. Here connections do not checkpoint
/// (<c>wal_autocheckpoint = 0</c>, see <see cref="SqliteConnectionSettings"/>). Every quarter second this copies
/// what the WAL holds while writers go on. That alone never lets the WAL start over under steady writes (SQLite
/// restarts it only for a writer that begins when every page is already in the file), so once the WAL has
/// passed 16,000 pages (64 MB, the size the WAL file is trimmed back to) it copies once more and then takes one
/// write turn to copy the few pages written meanwhile; the next write starts the WAL over. That pass flushes the
/// WAL and the database file while writers wait (7–12 ms under load), so it runs seldom: with 4,000 pages it ran
/// four times a second during the sync, and the PATCH p99 was 41–48 ms instead of 17.
/// That last pass does not wait for readers: if one still needs the WAL, the WAL starts over a quarter second later.
/// </summary>
internal sealed class SqliteCheckpointer(string connectionString, SqliteConnectionSettings settings, DatabaseWriteGate writes, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>Past this many pages (of 4 KB) the WAL starts over.</summary>
    public const long PagesBeforeStartingOver = 16000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        SqliteConnection? connection = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    connection ??= settings.Open(connectionString);
                    if (Checkpoint(connection) >= PagesBeforeStartingOver)
                    {
                        // Once more outside the turn for what was written during the first pass, so that the
                        // pass inside it has only a few pages to copy (and two flushes to make).
                        Checkpoint(connection);
                        using (await writes.EnterAsync(stoppingToken))
                        {
                            Checkpoint(connection);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "The WAL checkpoint failed; trying again in {Interval}.", Interval);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping. SQLite checkpoints the WAL itself when the last connection closes.
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>A passive checkpoint, which waits for no reader or writer; returns the pages the WAL holds.</summary>
    private static long Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt64(1) : 0;
    }
}
