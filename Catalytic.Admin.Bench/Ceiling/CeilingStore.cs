using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Catalytic.Admin.Bench.Ceiling;

/// <summary>The five stored attributes plus userName, externalId and active: the same columns the app keeps.</summary>
internal sealed class CeilingUser
{
    public string Id { get; set; } = "";

    public string UserName { get; set; } = "";

    public string? Email { get; set; }

    public string? GivenName { get; set; }

    public string? FamilyName { get; set; }

    public string? DisplayName { get; set; }

    public string? Phone { get; set; }

    public string? ExternalId { get; set; }

    public bool Active { get; set; } = true;

    public int Version { get; set; } = 1;

    public DateTime Created { get; set; }

    public DateTime Updated { get; set; }
}

internal enum CeilingFilterAttribute
{
    UserName,
    ExternalId,
    Email,
    Id,
}

/// <summary>
/// Raw Microsoft.Data.Sqlite over one WAL file: unique indexes on (team, normalised userName) and
/// (team, normalised email), prepared statements kept per connection, one writer at a time (readers never
/// wait for it), one implicit transaction per write. Durability as the app's: WAL with the bench's --synchronous
/// (FULL or NORMAL), the same setting the app runs with.
/// </summary>
internal sealed class CeilingStore : IDisposable
{
    private const string Columns = "id, user_name, email, given_name, family_name, display_name, phone, external_id, active, version, created, updated";
    private readonly string connectionString;
    private readonly string teamId;
    private readonly ConcurrentBag<Session> sessions = [];
    private readonly SemaphoreSlim writer = new(1, 1);
    private readonly string synchronous;

    public CeilingStore(string path, string teamId, string synchronous)
    {
        this.synchronous = synchronous.ToUpperInvariant() is "FULL" or "NORMAL" or "EXTRA" or "OFF"
            ? synchronous.ToUpperInvariant()
            : throw new ArgumentException($"synchronous '{synchronous}' is not FULL, NORMAL, EXTRA or OFF.", nameof(synchronous));
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString();
        this.teamId = teamId;
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS users (
                id TEXT NOT NULL PRIMARY KEY,
                team_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                user_name_norm TEXT NOT NULL,
                email TEXT NULL,
                email_norm TEXT NULL,
                given_name TEXT NULL,
                family_name TEXT NULL,
                display_name TEXT NULL,
                phone TEXT NULL,
                external_id TEXT NULL,
                active INTEGER NOT NULL,
                version INTEGER NOT NULL,
                created TEXT NOT NULL,
                updated TEXT NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS ix_users_user_name ON users (team_id, user_name_norm);
            CREATE UNIQUE INDEX IF NOT EXISTS ix_users_email ON users (team_id, email_norm) WHERE email_norm IS NOT NULL;
            CREATE INDEX IF NOT EXISTS ix_users_external_id ON users (team_id, external_id);
            CREATE INDEX IF NOT EXISTS ix_users_created ON users (team_id, created, id);
            """;
        command.ExecuteNonQuery();
    }

    public enum WriteOutcome
    {
        Done,
        NotFound,
        UserNameTaken,
        EmailTaken,
    }

    public CeilingUser? Find(string id) => Use(s => ReadOne(s.ById, ("$id", id)));

    public (int Total, List<CeilingUser> Page) Filter(CeilingFilterAttribute attribute, string value, int skip, int take) => Use(s =>
    {
        var command = attribute switch
        {
            CeilingFilterAttribute.UserName => s.ByUserName,
            CeilingFilterAttribute.Email => s.ByEmail,
            CeilingFilterAttribute.ExternalId => s.ByExternalId,
            _ => s.ById,
        };
        var key = attribute is CeilingFilterAttribute.UserName or CeilingFilterAttribute.Email ? value.Trim().ToUpperInvariant() : value;
        var all = ReadMany(command, ("$id", key));
        return (all.Count, all.Skip(skip).Take(take).ToList());
    });

    public (int Total, List<CeilingUser> Page) List(int skip, int take) => Use(s =>
    {
        s.Count.Parameters["$team"].Value = teamId;
        var total = Convert.ToInt32(s.Count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (take <= 0 || skip >= total)
        {
            return (total, new List<CeilingUser>());
        }

        return (total, ReadMany(s.Page, ("$skip", skip), ("$take", take)));
    });

    public async Task<WriteOutcome> InsertAsync(CeilingUser user)
    {
        await writer.WaitAsync();
        try
        {
            return Use(s =>
            {
                Bind(s.Insert, user);
                return Execute(s.Insert) ?? WriteOutcome.Done;
            });
        }
        finally
        {
            writer.Release();
        }
    }

    /// <summary>Reads, changes and writes one user while holding the single writer.</summary>
    public async Task<(WriteOutcome Outcome, CeilingUser? User)> UpdateAsync(string id, Func<CeilingUser, bool> change)
    {
        await writer.WaitAsync();
        try
        {
            return Use(s =>
            {
                var user = ReadOne(s.ById, ("$id", id));
                if (user is null)
                {
                    return (WriteOutcome.NotFound, null);
                }

                if (!change(user))
                {
                    return (WriteOutcome.Done, user);
                }

                user.Version++;
                user.Updated = DateTime.UtcNow;
                Bind(s.Update, user);
                return Execute(s.Update) is { } refused ? (refused, null) : (WriteOutcome.Done, user);
            });
        }
        finally
        {
            writer.Release();
        }
    }

    public async Task<bool> DeleteAsync(string id)
    {
        await writer.WaitAsync();
        try
        {
            return Use(s =>
            {
                s.Delete.Parameters["$team"].Value = teamId;
                s.Delete.Parameters["$id"].Value = id;
                return s.Delete.ExecuteNonQuery() > 0;
            });
        }
        finally
        {
            writer.Release();
        }
    }

    public void Dispose()
    {
        while (sessions.TryTake(out var session))
        {
            session.Dispose();
        }

        writer.Dispose();
    }

    private static WriteOutcome? Execute(SqliteCommand command)
    {
        try
        {
            command.ExecuteNonQuery();
            return null;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            return e.Message.Contains("email_norm", StringComparison.Ordinal) ? WriteOutcome.EmailTaken : WriteOutcome.UserNameTaken;
        }
    }

    private T Use<T>(Func<Session, T> work)
    {
        if (!sessions.TryTake(out var session))
        {
            session = new Session(connectionString, synchronous);
        }

        try
        {
            return work(session);
        }
        finally
        {
            sessions.Add(session);
        }
    }

    private CeilingUser? ReadOne(SqliteCommand command, params (string Name, object Value)[] parameters) =>
        ReadMany(command, parameters).FirstOrDefault();

    private List<CeilingUser> ReadMany(SqliteCommand command, params (string Name, object Value)[] parameters)
    {
        command.Parameters["$team"].Value = teamId;
        foreach (var (name, value) in parameters)
        {
            command.Parameters[name].Value = value;
        }

        var users = new List<CeilingUser>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            users.Add(new CeilingUser
            {
                Id = reader.GetString(0),
                UserName = reader.GetString(1),
                Email = reader.IsDBNull(2) ? null : reader.GetString(2),
                GivenName = reader.IsDBNull(3) ? null : reader.GetString(3),
                FamilyName = reader.IsDBNull(4) ? null : reader.GetString(4),
                DisplayName = reader.IsDBNull(5) ? null : reader.GetString(5),
                Phone = reader.IsDBNull(6) ? null : reader.GetString(6),
                ExternalId = reader.IsDBNull(7) ? null : reader.GetString(7),
                Active = reader.GetInt64(8) != 0,
                Version = reader.GetInt32(9),
                Created = DateTime.Parse(reader.GetString(10), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind),
                Updated = DateTime.Parse(reader.GetString(11), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind),
            });
        }

        return users;
    }

    private void Bind(SqliteCommand command, CeilingUser user)
    {
        var p = command.Parameters;
        p["$team"].Value = teamId;
        p["$id"].Value = user.Id;
        p["$user_name"].Value = user.UserName;
        p["$user_name_norm"].Value = user.UserName.Trim().ToUpperInvariant();
        p["$email"].Value = (object?)user.Email ?? DBNull.Value;
        p["$email_norm"].Value = (object?)user.Email?.Trim().ToUpperInvariant() ?? DBNull.Value;
        p["$given_name"].Value = (object?)user.GivenName ?? DBNull.Value;
        p["$family_name"].Value = (object?)user.FamilyName ?? DBNull.Value;
        p["$display_name"].Value = (object?)user.DisplayName ?? DBNull.Value;
        p["$phone"].Value = (object?)user.Phone ?? DBNull.Value;
        p["$external_id"].Value = (object?)user.ExternalId ?? DBNull.Value;
        p["$active"].Value = user.Active ? 1 : 0;
        p["$version"].Value = user.Version;
        p["$created"].Value = user.Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        p["$updated"].Value = user.Updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>One open connection and its prepared statements; used by one request at a time.</summary>
    private sealed class Session : IDisposable
    {
        private static readonly string[] WriteParameters =
            ["$team", "$id", "$user_name", "$user_name_norm", "$email", "$email_norm", "$given_name", "$family_name", "$display_name", "$phone", "$external_id", "$active", "$version", "$created", "$updated"];

        private readonly SqliteConnection connection;

        public Session(string connectionString, string synchronous)
        {
            connection = new SqliteConnection(connectionString);
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = $"PRAGMA synchronous={synchronous};";
                pragma.ExecuteNonQuery();
            }

            ById = Prepare($"SELECT {Columns} FROM users WHERE team_id = $team AND id = $id", "$team", "$id");
            ByUserName = Prepare($"SELECT {Columns} FROM users WHERE team_id = $team AND user_name_norm = $id", "$team", "$id");
            ByEmail = Prepare($"SELECT {Columns} FROM users WHERE team_id = $team AND email_norm = $id", "$team", "$id");
            ByExternalId = Prepare($"SELECT {Columns} FROM users WHERE team_id = $team AND external_id = $id ORDER BY created, id", "$team", "$id");
            Count = Prepare("SELECT COUNT(*) FROM users WHERE team_id = $team", "$team");
            Page = Prepare($"SELECT {Columns} FROM users WHERE team_id = $team ORDER BY created, id LIMIT $take OFFSET $skip", "$team", "$take", "$skip");
            Insert = Prepare(
                """
                INSERT INTO users (id, team_id, user_name, user_name_norm, email, email_norm, given_name, family_name, display_name, phone, external_id, active, version, created, updated)
                VALUES ($id, $team, $user_name, $user_name_norm, $email, $email_norm, $given_name, $family_name, $display_name, $phone, $external_id, $active, $version, $created, $updated)
                """,
                WriteParameters);
            Update = Prepare(
                """
                UPDATE users SET user_name = $user_name, user_name_norm = $user_name_norm, email = $email, email_norm = $email_norm,
                    given_name = $given_name, family_name = $family_name, display_name = $display_name, phone = $phone,
                    external_id = $external_id, active = $active, version = $version, created = $created, updated = $updated
                WHERE team_id = $team AND id = $id
                """,
                WriteParameters);
            Delete = Prepare("DELETE FROM users WHERE team_id = $team AND id = $id", "$team", "$id");
        }

        public SqliteCommand ById { get; }

        public SqliteCommand ByUserName { get; }

        public SqliteCommand ByEmail { get; }

        public SqliteCommand ByExternalId { get; }

        public SqliteCommand Count { get; }

        public SqliteCommand Page { get; }

        public SqliteCommand Insert { get; }

        public SqliteCommand Update { get; }

        public SqliteCommand Delete { get; }

        public void Dispose()
        {
            foreach (var command in new[] { ById, ByUserName, ByEmail, ByExternalId, Count, Page, Insert, Update, Delete })
            {
                command.Dispose();
            }

            connection.Dispose();
        }

        private SqliteCommand Prepare(string sql, params string[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
            }

            command.Prepare();
            return command;
        }
    }
}
