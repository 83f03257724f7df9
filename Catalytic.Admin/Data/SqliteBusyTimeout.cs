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
/// Also sets <c>synchronous = NORMAL</c>, the usual pairing with WAL: a commit no longer waits for a disk
/// flush (the WAL is flushed at checkpoints), which is most of a write's cost. Committed data survives the
/// app crashing or being killed; only a power loss or OS crash can lose the last commits, which an IdP's
/// next sync puts back. Both are per native connection.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    private const string Pragma = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

    // Microsoft.Data.Sqlite pools native connections, and both settings stay on the native connection: run
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
