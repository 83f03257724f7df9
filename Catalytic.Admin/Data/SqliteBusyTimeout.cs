using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Catalytic.Admin.Data;

/// <summary>
/// Lets SQLite itself wait for a competing writer (the activity log, a racing request) in short steps.
/// Without it Microsoft.Data.Sqlite retries a busy database after sleeping 150 ms, which turns every
/// collision between two writes into a 150 ms pause for the IdP.
/// Also sets <c>synchronous = NORMAL</c>, the usual pairing with WAL: a commit no longer waits for a disk
/// flush (the WAL is flushed at checkpoints), which is most of a write's cost. Committed data survives the
/// app crashing or being killed; only a power loss or OS crash can lose the last commits, which an IdP's
/// next sync puts back. Per connection, so it is set on every open like the timeout.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    private const string Pragma = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
