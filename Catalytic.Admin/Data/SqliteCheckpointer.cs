using Microsoft.Data.Sqlite;

namespace Catalytic.Admin.Data;

/// <summary>
/// Copies the SQLite WAL back into the database file off the writers' path. Left to SQLite, the commit that
/// takes the WAL past 1,000 pages runs the checkpoint itself, and while it does every queued write waits: in the
/// benchmark's sync such commits took 10–40 ms, which set the writes' p95. Here connections do not checkpoint
/// (<c>wal_autocheckpoint = 0</c>, see <see cref="SqliteConnectionSettings"/>). Every quarter second this copies
/// what the WAL holds while writers go on. That alone never lets the WAL start over under steady writes (SQLite
/// restarts it only for a writer that begins when every page is already in the file), so once the WAL has
/// passed 1,000 pages it also takes one write turn for a RESTART checkpoint of the few pages written meanwhile;
/// the next write then starts the WAL over instead of growing it (every read searches the WAL it may use).
/// </summary>
internal sealed class SqliteCheckpointer(string connectionString, DatabaseWriteGate writes, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>SQLite's own autocheckpoint threshold, in pages.</summary>
    public const long PagesBeforeStartingOver = 1000;

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
                    connection ??= Open();
                    var (_, pages, _) = Checkpoint(connection, "PASSIVE");
                    if (pages >= PagesBeforeStartingOver)
                    {
                        using (await writes.EnterAsync(stoppingToken))
                        {
                            // Waits (briefly, see Open) for readers still on the WAL; busy means next time.
                            Checkpoint(connection, "RESTART");
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

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // A reader that holds the WAL for long (a big export) must not keep the write turn: give up after 20 ms.
        pragma.CommandText = SqliteConnectionSettings.Pragma + " PRAGMA busy_timeout = 20;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Runs a checkpoint; returns whether it was kept from finishing, the WAL's pages and how many are in the file.</summary>
    private static (bool Busy, long Pages, long Copied) Checkpoint(SqliteConnection connection, string mode)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode});";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2)) : (false, 0, 0);
    }
}
