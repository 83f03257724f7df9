using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Catalytic.Admin.Data;

/// <summary>
/// Lets SQLite itself wait for a competing writer (the activity log, a racing request) in short steps.
/// Without it Microsoft.Data.Sqlite retries a busy database after sleeping 150 ms, which turns every
/// collision between two writes into a 150 ms pause for the IdP.
/// Also sets <c>synchronous</c>: FULL by default, so that a commit an IdP was told about survives a power loss
/// or an OS crash too (one flush of the WAL per commit; the group commit makes that one flush per group of
/// requests). NORMAL, the usual pairing with WAL, skips that flush: committed data still survives the app
/// crashing or being killed, but a power loss can roll back the last commits — a rolled-back deactivation would
/// silently re-enable an account the IdP never deprovisions again. NORMAL is an explicit choice
/// (<c>Catalytic:Database:Synchronous</c>).
/// And caps the WAL file at 64 MB once a checkpoint has emptied it: while an IdP syncs, readers are always
/// active, the WAL cannot start over and grows far past the database (measured: 216 MB next to a 31 MB
/// database during the benchmark); without the cap the file would keep that size after the load ends.
/// And turns off checkpoints by the committing connection (<c>wal_autocheckpoint = 0</c>): the app's
/// <see cref="SqliteCheckpointer"/> runs them in the background instead, so no write waits for one.
/// All four are per native connection.
/// </summary>
internal sealed class SqliteConnectionSettings(SqliteSynchronous synchronous) : DbConnectionInterceptor
{
    public const long WalSizeLimitBytes = 64L * 1024 * 1024;

    public SqliteSynchronous Synchronous { get; } = synchronous;

    /// <summary>The settings as one batch of pragmas, for connections opened outside EF Core (the fast reads).</summary>
    public string Pragma { get; } =
        $"PRAGMA busy_timeout = 5000; PRAGMA synchronous = {synchronous.ToString().ToUpperInvariant()}; PRAGMA journal_size_limit = {WalSizeLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)}; PRAGMA wal_autocheckpoint = 0;";

    /// <summary>
    /// A connection opened outside EF Core (the fast reads, the group writer, the checkpointer) with the same
    /// settings, plus any <paramref name="morePragmas"/>.
    /// </summary>
    public SqliteConnection Open(string connectionString, string morePragmas = "")
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = Pragma + morePragmas;
        pragma.ExecuteNonQuery();
        return connection;
    }

    // Microsoft.Data.Sqlite pools native connections, and the settings stay on the native connection: run
    // them the first time a native connection is opened, not on every open (every request opens one or two).
    private readonly ConditionalWeakTable<sqlite3, object> prepared = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (NeedsPragmas(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (NeedsPragmas(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private bool NeedsPragmas(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } || prepared.TryAdd(handle, Pragma);
}

/// <summary>SQLite's <c>synchronous</c> setting for the app's connections (see <see cref="SqliteConnectionSettings"/>).</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is flushed to disk before it is acknowledged: durable across power loss.</summary>
    Full,

    /// <summary>The WAL is flushed at checkpoints only: survives the process crashing, not the machine.</summary>
    Normal,
}
