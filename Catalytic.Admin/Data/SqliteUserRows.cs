using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Users;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Catalytic.Admin.Data;

/// <summary>
/// One user row to write: as created, as changed (checked against the version read), or deleted; with the activity
/// entry of the SCIM request that makes it, if any, which is saved or rolled back with the row. With
/// <paramref name="MustLeaveAnAdmin"/> (the row was an active admin and no longer is) the write is undone unless
/// the team still has an active admin afterwards, checked inside the write's transaction: see <see cref="LastAdminException"/>.
/// </summary>
public sealed record UserRowChange(User User, EntityState State, int ReadVersion, ProvisioningEvent? Entry = null, bool MustLeaveAnAdmin = false)
{
    /// <summary>Never changed after a create: the listing's order and the team's counts depend on them.</summary>
    public static readonly IReadOnlySet<string> NeverChanged = new HashSet<string> { nameof(User.Id), nameof(User.TeamId), nameof(User.CreatedAt) };
}

/// <summary>
/// Writes groups of user rows on SQLite with prepared statements on one open connection: one transaction per
/// group, a savepoint per request (its user row and its activity entry), so a request refused by a unique index or
/// a stale version fails alone and leaves no entry.
/// Profiling the group commit showed EF Core's SaveChanges costing ~0.6 ms of the single writer's time per
/// request (change tracking, savepoint commands, parameter and command set-up) — the writer, not SQLite, set
/// the limit. Columns, parameter types and value conversions come from the EF model, so the rows written are
/// the rows EF writes (a test compares them); failures surface as the exceptions SaveChanges throws.
/// Used by one writer at a time (the group commit's turn).
/// </summary>
internal sealed class SqliteUserRows(string connectionString, SqliteConnectionSettings settings, IModel model) : IDisposable
{
    private readonly Statements statements = new(model.FindEntityType(typeof(User))!, model.FindEntityType(typeof(ProvisioningEvent))!);
    private SqliteConnection? connection;
    private readonly Dictionary<string, SqliteCommand> commands = [];

    /// <summary>Writes every request's row; returns each request's failure (null when saved).</summary>
    public Exception?[] Write(IReadOnlyList<UserRowChange> requests)
    {
        var failures = new Exception?[requests.Count];
        try
        {
            Run("BEGIN IMMEDIATE");
            for (var i = 0; i < requests.Count; i++)
            {
                Run("SAVEPOINT request");
                try
                {
                    Apply(requests[i]);
                    Run("RELEASE request");
                }
                catch (Exception e) when (e is SqliteException or DbUpdateException)
                {
                    Run("ROLLBACK TO request");
                    Run("RELEASE request");
                    failures[i] = e as DbUpdateException ?? new DbUpdateException("An error occurred while saving the user.", e);
                }
            }

            Run("COMMIT");
            return failures;
        }
        catch
        {
            // The connection's state is unknown now (a failed BEGIN or COMMIT): start over with a new one.
            Reset();
            throw;
        }
    }

    private void Apply(UserRowChange change)
    {
        var (sql, parameters) = change.State switch
        {
            EntityState.Added => (statements.Insert, statements.InsertParameters),
            EntityState.Modified => (statements.Update, statements.UpdateParameters),
            EntityState.Deleted => (statements.Delete, statements.KeyParameters),
            _ => throw new InvalidOperationException($"A user row cannot be written in state {change.State}."),
        };

        if (Execute(sql, parameters, change.User, change.ReadVersion) == 0)
        {
            throw new DbUpdateConcurrencyException(
                $"The user {change.User.Id} was changed or deleted since it was read (version {change.ReadVersion}).");
        }

        // Inside the group's transaction, after every write before it: no other writer can slip in between.
        if (change.MustLeaveAnAdmin)
        {
            var check = Command(statements.AdminRemains);
            check.Parameters.Clear();
            var (_, teamMapping, teamName) = statements.TeamParameter;
            check.Parameters.Add(teamMapping.CreateParameter(check, teamName, change.User.TeamId));
            if (Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                throw new LastAdminException(change.User.TeamId);
            }
        }

        if (change.Entry is { } entry)
        {
            Execute(statements.InsertEntry, statements.InsertEntryParameters, entry, 0);
        }
    }

    private int Execute(string sql, (IProperty? Property, RelationalTypeMapping Mapping, string Name)[] parameters, object row, int readVersion)
    {
        var command = Command(sql);
        command.Parameters.Clear();
        foreach (var (property, mapping, name) in parameters)
        {
            var value = property is null ? readVersion : property.PropertyInfo!.GetValue(row);
            command.Parameters.Add(mapping.CreateParameter(command, name, value, nullable: true));
        }

        return command.ExecuteNonQuery();
    }

    private void Run(string sql) => Command(sql).ExecuteNonQuery();

    private SqliteCommand Command(string sql)
    {
        connection ??= settings.Open(connectionString, " PRAGMA foreign_keys = ON;");
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands[sql] = command;
        }

        return command;
    }

    private void Reset()
    {
        foreach (var command in commands.Values)
        {
            command.Dispose();
        }

        commands.Clear();
        connection?.Dispose();
        connection = null;
    }

    public void Dispose() => Reset();

    /// <summary>The four statements, built once from the model. A null property stands for the version read.</summary>
    private sealed class Statements
    {
        public Statements(IEntityType users, IEntityType entries)
        {
            var table = StoreObjectIdentifier.Table(users.GetTableName()!, users.GetSchema());
            var properties = users.GetProperties().Where(p => p.PropertyInfo is not null).ToArray();
            string Column(IProperty p) => $"\"{p.GetColumnName(table)}\"";
            (IProperty?, RelationalTypeMapping, string) Parameter(IProperty p, string name) => (p, (RelationalTypeMapping)p.GetRelationalTypeMapping(), name);

            var id = users.FindProperty(nameof(User.Id))!;
            var version = users.FindProperty(nameof(User.Version))!;
            var keyFilter = $"WHERE {Column(id)} = $key AND {Column(version)} = $read";
            KeyParameters = [Parameter(id, "$key"), (null, (RelationalTypeMapping)version.GetRelationalTypeMapping(), "$read")];

            InsertParameters = [.. properties.Select((p, i) => Parameter(p, $"$p{i}"))];
            Insert = $"INSERT INTO \"{users.GetTableName()}\" ({string.Join(", ", properties.Select(Column))}) " +
                $"VALUES ({string.Join(", ", InsertParameters.Select(p => p.Name))})";

            var changing = properties.Where(p => !UserRowChange.NeverChanged.Contains(p.Name)).ToArray();
            UpdateParameters = [.. changing.Select((p, i) => Parameter(p, $"$p{i}")), .. KeyParameters];
            Update = $"UPDATE \"{users.GetTableName()}\" SET {string.Join(", ", changing.Select((p, i) => $"{Column(p)} = $p{i}"))} {keyFilter}";
            Delete = $"DELETE FROM \"{users.GetTableName()}\" {keyFilter}";

            // Every column but the id, which the database numbers.
            var entryTable = StoreObjectIdentifier.Table(entries.GetTableName()!, entries.GetSchema());
            var entryProperties = entries.GetProperties().Where(p => p.PropertyInfo is not null && !p.IsPrimaryKey()).ToArray();
            InsertEntryParameters = [.. entryProperties.Select((p, i) => Parameter(p, $"$e{i}"))];
            InsertEntry = $"INSERT INTO \"{entries.GetTableName()}\" ({string.Join(", ", entryProperties.Select(p => $"\"{p.GetColumnName(entryTable)}\""))}) " +
                $"VALUES ({string.Join(", ", InsertEntryParameters.Select(p => p.Name))})";

            var team = users.FindProperty(nameof(User.TeamId))!;
            TeamParameter = Parameter(team, "$team");
            AdminRemains = $"SELECT EXISTS (SELECT 1 FROM \"{users.GetTableName()}\" WHERE {Column(team)} = $team " +
                $"AND {Column(users.FindProperty(nameof(User.IsAdmin))!)} AND {Column(users.FindProperty(nameof(User.Active))!)})";
        }

        public string Insert { get; }

        public string Update { get; }

        public string Delete { get; }

        public string InsertEntry { get; }

        /// <summary>Whether the team ($team) still has an active admin.</summary>
        public string AdminRemains { get; }

        public (IProperty? Property, RelationalTypeMapping Mapping, string Name) TeamParameter { get; }

        public (IProperty? Property, RelationalTypeMapping Mapping, string Name)[] InsertParameters { get; }

        public (IProperty? Property, RelationalTypeMapping Mapping, string Name)[] UpdateParameters { get; }

        public (IProperty? Property, RelationalTypeMapping Mapping, string Name)[] KeyParameters { get; }

        public (IProperty? Property, RelationalTypeMapping Mapping, string Name)[] InsertEntryParameters { get; }
    }
}
