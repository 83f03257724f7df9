using System.Collections.Concurrent;
using System.Linq.Expressions;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Catalytic.Admin.Data;

/// <summary>What the bearer check needs to know about a presented token, read in one query.</summary>
public sealed record ScimTokenMatch(Guid Id, byte[] Hash, Guid TeamId, string Slug, DateTime? RevokedAt, DateTime? ExpiresAt, bool Enabled);

/// <summary>
/// The reads nearly every SCIM request makes: the bearer token, a user by id, a user by userName. They run
/// on every request of an IdP's sync, so they get their own fast path; everything else goes through EF Core.
/// </summary>
public interface IHotPathReads
{
    Task<ScimTokenMatch?> FindTokenAsync(byte[] hash, CancellationToken ct);

    Task<User?> FindUserAsync(Guid teamId, Guid userId, CancellationToken ct);

    Task<User?> FindUserByNormalizedNameAsync(Guid teamId, string normalizedUserName, CancellationToken ct);

    /// <summary>The team's defaults for accounts an IdP creates; null when the team never saved any.</summary>
    Task<ProvisioningDefaults?> FindProvisioningDefaultsAsync(Guid teamId, CancellationToken ct);

    /// <summary>
    /// A page of all the team's users an IdP sees (no local accounts) in the listing's default order (created, then id)
    /// and their total, as an IdP's import reads them; null when this store has no fast path for it and EF Core should answer. The users
    /// may carry only what a SCIM resource shows (<see cref="ScimUserResource.Shows"/>): a page is for rendering.
    /// </summary>
    Task<UserPage?> ListUsersByCreatedAsync(Guid teamId, int skip, int take, CancellationToken ct);
}

/// <summary>The reads as EF Core compiled queries: used on PostgreSQL, where they cost little next to the round trip.</summary>
internal sealed class EfHotPathReads(IDbContextFactory<AdminDbContext> dbFactory) : IHotPathReads
{
    // Per instance, not static: a compiled query stays bound to the database provider that first ran it,
    // and one process (the tests) may host SQLite and PostgreSQL.
    private readonly Func<AdminDbContext, byte[], CancellationToken, Task<ScimTokenMatch?>> findToken = EF.CompileAsyncQuery(
        (AdminDbContext db, byte[] hash, CancellationToken ct) => db.ScimTokens.AsNoTracking()
            .Where(t => t.Hash == hash)
            .Join(db.Teams, t => t.TeamId, team => team.Id, (t, team) => new ScimTokenMatch(
                t.Id,
                t.Hash,
                t.TeamId,
                team.Slug,
                t.RevokedAt,
                t.ExpiresAt,
                db.ScimSettings.Where(s => s.TeamId == t.TeamId).Select(s => s.Enabled).FirstOrDefault()))
            .FirstOrDefault());

    private readonly Func<AdminDbContext, Guid, Guid, CancellationToken, Task<User?>> findUser = EF.CompileAsyncQuery(
        (AdminDbContext db, Guid teamId, Guid userId, CancellationToken ct) =>
            db.Users.AsNoTracking().FirstOrDefault(u => u.TeamId == teamId && u.Id == userId));

    private readonly Func<AdminDbContext, Guid, string, CancellationToken, Task<User?>> findUserByName = EF.CompileAsyncQuery(
        (AdminDbContext db, Guid teamId, string normalized, CancellationToken ct) =>
            db.Users.AsNoTracking().FirstOrDefault(u => u.TeamId == teamId && u.NormalizedUserName == normalized));

    private readonly Func<AdminDbContext, Guid, CancellationToken, Task<ProvisioningDefaults?>> findDefaults = EF.CompileAsyncQuery(
        (AdminDbContext db, Guid teamId, CancellationToken ct) => db.ScimSettings.AsNoTracking()
            .Where(s => s.TeamId == teamId)
            .Select(s => new ProvisioningDefaults(s.DefaultEmailNotifications, s.DefaultWeeklyDigest, s.DefaultShowWelcomeTour))
            .FirstOrDefault());

    public async Task<ScimTokenMatch?> FindTokenAsync(byte[] hash, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await findToken(db, hash, ct);
    }

    public async Task<ProvisioningDefaults?> FindProvisioningDefaultsAsync(Guid teamId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await findDefaults(db, teamId, ct);
    }

    public async Task<User?> FindUserAsync(Guid teamId, Guid userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await findUser(db, teamId, userId, ct);
    }

    public async Task<User?> FindUserByNormalizedNameAsync(Guid teamId, string normalizedUserName, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await findUserByName(db, teamId, normalizedUserName, ct);
    }

    // PostgreSQL counts and skips through its index well enough, and another instance may change the users.
    public Task<UserPage?> ListUsersByCreatedAsync(Guid teamId, int skip, int take, CancellationToken ct) =>
        Task.FromResult<UserPage?>(null);
}

/// <summary>
/// The reads on SQLite as prepared statements on connections kept open. Profiling the SCIM endpoint showed
/// each EF query (even compiled) costing several times the SQLite work: opening the pooled connection
/// re-registers EF's SQL functions, the statement is parsed again, and the result shaping allocates. Here a
/// request borrows an open connection whose statements are already prepared. Column names, parameter
/// conversions and value conversions come from the EF model, so the rows read are the rows EF writes.
/// Every read is a fresh autocommit statement (a listing page one short read transaction), so a token revoked
/// or SCIM turned off by any process is seen by the very next request.
/// </summary>
internal sealed class SqliteHotPathReads : IHotPathReads, IDisposable
{
    private const int MaxIdleSessions = 64;

    /// <summary>Kept by triggers, not by EF: see the SQLite migrations TeamUserCounts and ScimCountsExcludeLocalAccounts.</summary>
    private const string TeamUserCountsTable = "\"TeamUserCounts\"";

    private readonly string connectionString;
    private readonly SqliteConnectionSettings connectionSettings;
    private readonly ConcurrentBag<Session> idle = [];
    private readonly Query tokenQuery;
    private readonly Query userByIdQuery;
    private readonly Query userByNameQuery;
    private readonly Query defaultsQuery;
    private readonly Query countQuery;
    private readonly Query pageFromTopQuery;
    private readonly Query pageAfterCursorQuery;
    private readonly int createdAtOrdinal;
    private readonly int idOrdinal;
    private readonly PageCursors cursors = new();
    private readonly EntityReader<User> userReader;
    private readonly EntityReader<User> listedUserReader;
    private readonly Func<SqliteDataReader, ScimTokenMatch> readToken;
    private readonly Func<SqliteDataReader, ProvisioningDefaults> readDefaults;
    private bool disposed;

    public SqliteHotPathReads(string connectionString, SqliteConnectionSettings sqlite, IModel model)
    {
        this.connectionString = connectionString;
        connectionSettings = sqlite;
        var users = model.FindEntityType(typeof(User))!;
        var tokens = model.FindEntityType(typeof(ScimToken))!;
        var teams = model.FindEntityType(typeof(Team))!;
        var settings = model.FindEntityType(typeof(ScimSettings))!;
        userReader = new EntityReader<User>(users);
        listedUserReader = new EntityReader<User>(users, ScimUserResource.Shows);

        userByIdQuery = UserQuery(users, nameof(User.Id));
        userByNameQuery = UserQuery(users, nameof(User.NormalizedUserName));

        // The listing: the total from the trigger-kept count, the page by the (TeamId, CreatedAt, Id) index,
        // either from the top or from the nearest earlier page's last key (a row-value range on that index).
        countQuery = new Query(
            $"SELECT \"Users\", \"Changes\" FROM {TeamUserCountsTable} WHERE \"TeamId\" = $team",
            Parameter(users, nameof(User.TeamId), "$team"));
        // Only what an IdP sees (UserDirectory.IsVisibleToIdp): local accounts are neither listed nor counted.
        var team = $"{Column(users, nameof(User.TeamId))} = $team AND {Column(users, nameof(User.PasswordHash))} IS NULL";
        var created = Column(users, nameof(User.CreatedAt));
        var id = Column(users, nameof(User.Id));
        var order = $"ORDER BY {created}, {id} LIMIT $take OFFSET $skip";
        pageFromTopQuery = new Query(
            $"SELECT {listedUserReader.SelectList} FROM {Table(users)} WHERE {team} {order}",
            Parameter(users, nameof(User.TeamId), "$team"));
        pageAfterCursorQuery = new Query(
            $"SELECT {listedUserReader.SelectList} FROM {Table(users)} WHERE {team} AND ({created}, {id}) > ($created, $id) {order}",
            Parameter(users, nameof(User.TeamId), "$team"));
        createdAtOrdinal = listedUserReader.Ordinal(nameof(User.CreatedAt));
        idOrdinal = listedUserReader.Ordinal(nameof(User.Id));

        tokenQuery = new Query(
            $"SELECT t.{Column(tokens, nameof(ScimToken.Id))}, t.{Column(tokens, nameof(ScimToken.Hash))}, t.{Column(tokens, nameof(ScimToken.TeamId))}, " +
            $"m.{Column(teams, nameof(Team.Slug))}, t.{Column(tokens, nameof(ScimToken.RevokedAt))}, t.{Column(tokens, nameof(ScimToken.ExpiresAt))}, " +
            $"(SELECT s.{Column(settings, nameof(ScimSettings.Enabled))} FROM {Table(settings)} s WHERE s.{Column(settings, nameof(ScimSettings.TeamId))} = t.{Column(tokens, nameof(ScimToken.TeamId))} LIMIT 1) " +
            $"FROM {Table(tokens)} t JOIN {Table(teams)} m ON m.{Column(teams, nameof(Team.Id))} = t.{Column(tokens, nameof(ScimToken.TeamId))} " +
            $"WHERE t.{Column(tokens, nameof(ScimToken.Hash))} = $hash LIMIT 1",
            Parameter(tokens, nameof(ScimToken.Hash), "$hash"));

        defaultsQuery = new Query(
            $"SELECT {Column(settings, nameof(ScimSettings.DefaultEmailNotifications))}, {Column(settings, nameof(ScimSettings.DefaultWeeklyDigest))}, " +
            $"{Column(settings, nameof(ScimSettings.DefaultShowWelcomeTour))} FROM {Table(settings)} WHERE {Column(settings, nameof(ScimSettings.TeamId))} = $team LIMIT 1",
            Parameter(settings, nameof(ScimSettings.TeamId), "$team"));
        var notifications = ColumnReader(settings, nameof(ScimSettings.DefaultEmailNotifications), 0);
        readDefaults = reader => new ProvisioningDefaults((EmailNotifications)notifications(reader)!, reader.GetBoolean(1), reader.GetBoolean(2));

        var tokenId = ColumnReader(tokens, nameof(ScimToken.Id), 0);
        var teamId = ColumnReader(tokens, nameof(ScimToken.TeamId), 2);
        var revoked = ColumnReader(tokens, nameof(ScimToken.RevokedAt), 4);
        var expires = ColumnReader(tokens, nameof(ScimToken.ExpiresAt), 5);
        readToken = reader => new ScimTokenMatch(
            (Guid)tokenId(reader)!,
            (byte[])reader.GetValue(1),
            (Guid)teamId(reader)!,
            reader.GetString(3),
            (DateTime?)revoked(reader),
            (DateTime?)expires(reader),
            !reader.IsDBNull(6) && reader.GetBoolean(6));
    }

    public Task<ScimTokenMatch?> FindTokenAsync(byte[] hash, CancellationToken ct) =>
        Task.FromResult(Read(tokenQuery, hash, null, readToken));

    public Task<User?> FindUserAsync(Guid teamId, Guid userId, CancellationToken ct) =>
        Task.FromResult(Read(userByIdQuery, teamId, userId, userReader.Read));

    public Task<User?> FindUserByNormalizedNameAsync(Guid teamId, string normalizedUserName, CancellationToken ct) =>
        Task.FromResult(Read(userByNameQuery, teamId, normalizedUserName, userReader.Read));

    public Task<ProvisioningDefaults?> FindProvisioningDefaultsAsync(Guid teamId, CancellationToken ct) =>
        Task.FromResult(Read(defaultsQuery, teamId, null, readDefaults));

    public Task<UserPage?> ListUsersByCreatedAsync(Guid teamId, int skip, int take, CancellationToken ct) =>
        Task.FromResult<UserPage?>(ListByCreated(teamId, skip, take));

    /// <summary>The total and the page in one read transaction, so they describe the same moment.</summary>
    private UserPage ListByCreated(Guid teamId, int skip, int take)
    {
        var session = Rent();
        var healthy = false;
        try
        {
            using var transaction = session.BeginRead();
            var count = session.Prepared(countQuery, transaction);
            countQuery.Bind(count, teamId, null);
            long total = 0, changes = 0;
            using (var reader = count.ExecuteReader())
            {
                if (reader.Read())
                {
                    (total, changes) = (reader.GetInt64(0), reader.GetInt64(1));
                }
            }

            var users = new List<User>(Math.Clamp((int)Math.Min(take, total - skip), 0, 1000));
            if (take > 0 && skip < total)
            {
                var cursor = cursors.Nearest(teamId, changes, skip);
                var query = cursor is null ? pageFromTopQuery : pageAfterCursorQuery;
                var page = session.Prepared(query, transaction);
                query.Bind(page, teamId, null);
                page.Parameters.AddWithValue("$take", take);
                page.Parameters.AddWithValue("$skip", skip - (cursor?.Position ?? 0));
                if (cursor is { } from)
                {
                    page.Parameters.AddWithValue("$created", from.CreatedAt);
                    page.Parameters.AddWithValue("$id", from.Id);
                }

                object? lastCreated = null, lastId = null;
                using (var reader = page.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        users.Add(listedUserReader.Read(reader));
                        (lastCreated, lastId) = (reader.GetValue(createdAtOrdinal), reader.GetValue(idOrdinal));
                    }
                }

                if (lastCreated is not null && lastId is not null)
                {
                    cursors.Remember(teamId, changes, new PageCursors.Cursor(skip + users.Count, lastCreated, lastId));
                }
            }

            transaction.Commit();
            healthy = true;
            return new UserPage((int)total, users);
        }
        finally
        {
            Return(session, healthy);
        }
    }

    // Synchronous on purpose: Microsoft.Data.Sqlite's async methods run synchronously anyway, and an indexed
    // read of one row takes microseconds.
    private T? Read<T>(Query query, object first, object? second, Func<SqliteDataReader, T> map)
        where T : class
    {
        var session = Rent();
        var healthy = false;
        try
        {
            var command = session.Prepared(query);
            query.Bind(command, first, second);
            T? result;
            using (var reader = command.ExecuteReader())
            {
                result = reader.Read() ? map(reader) : null;
            }

            healthy = true;
            return result;
        }
        finally
        {
            Return(session, healthy);
        }
    }

    private Session Rent()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return idle.TryTake(out var session) ? session : new Session(connectionSettings.Open(connectionString));
    }

    private void Return(Session session, bool healthy)
    {
        if (healthy && !disposed && idle.Count < MaxIdleSessions)
        {
            idle.Add(session);
        }
        else
        {
            session.Dispose();
        }
    }

    public void Dispose()
    {
        disposed = true;
        while (idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    /// <summary>The team's user whose <paramref name="keyProperty"/> equals the second parameter.</summary>
    private Query UserQuery(IEntityType users, string keyProperty) => new(
        $"SELECT {userReader.SelectList} FROM {Table(users)} WHERE {Column(users, nameof(User.TeamId))} = $team AND {Column(users, keyProperty)} = $key LIMIT 1",
        Parameter(users, nameof(User.TeamId), "$team"),
        Parameter(users, keyProperty, "$key"));

    private static string Table(IEntityType entity) => $"\"{entity.GetTableName()}\"";

    private static string Column(IEntityType entity, string property)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        return $"\"{entity.FindProperty(property)!.GetColumnName(table)}\"";
    }

    private static (string Name, RelationalTypeMapping Mapping) Parameter(IEntityType entity, string property, string name) =>
        (name, (RelationalTypeMapping)entity.FindProperty(property)!.GetRelationalTypeMapping());

    /// <summary>One column read and converted as EF would, for the hand-shaped token and defaults rows.</summary>
    private static Func<SqliteDataReader, object?> ColumnReader(IEntityType entity, string property, int ordinal)
    {
        var reader = Expression.Parameter(typeof(SqliteDataReader), "reader");
        var value = EntityReader<User>.ValueExpression(entity.FindProperty(property)!, reader, ordinal);
        return Expression.Lambda<Func<SqliteDataReader, object?>>(Expression.Convert(value, typeof(object)), reader).Compile();
    }

    /// <summary>A statement and how its (at most two) parameters are bound: with EF's mapping, as EF binds them.</summary>
    private sealed class Query(string sql, params (string Name, RelationalTypeMapping Mapping)[] parameters)
    {
        public string Sql { get; } = sql;

        public void Bind(SqliteCommand command, object first, object? second)
        {
            command.Parameters.Clear();
            command.Parameters.Add(parameters[0].Mapping.CreateParameter(command, parameters[0].Name, first));
            if (parameters.Length > 1)
            {
                command.Parameters.Add(parameters[1].Mapping.CreateParameter(command, parameters[1].Name, second));
            }
        }
    }

    /// <summary>One open connection and the statements prepared on it.</summary>
    private sealed class Session : IDisposable
    {
        private readonly SqliteConnection connection;
        private readonly Dictionary<Query, SqliteCommand> commands = [];

        public Session(SqliteConnection connection) => this.connection = connection;

        public SqliteCommand Prepared(Query query, SqliteTransaction? transaction = null)
        {
            if (!commands.TryGetValue(query, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = query.Sql;
                commands[query] = command;
            }

            command.Transaction = transaction;
            return command;
        }

        /// <summary>A deferred transaction: it takes no lock, only one snapshot for the reads inside it.</summary>
        public SqliteTransaction BeginRead() => connection.BeginTransaction(deferred: true);

        public void Dispose()
        {
            foreach (var command in commands.Values)
            {
                command.Dispose();
            }

            connection.Dispose();
        }
    }
}

/// <summary>
/// Reads rows of one entity the way EF maps them: every mapped property's column, converted with the model's
/// value converters (enums stored as text, UTC dates). Compiled once into a delegate, so a row costs typed
/// reads and assignments only. A property added to the entity is read without a change here.
/// </summary>
internal sealed class EntityReader<T>
    where T : class
{
    /// <param name="only">The properties to read (the rest keep their defaults); every mapped one when null.</param>
    public EntityReader(IEntityType entity, IReadOnlySet<string>? only = null)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var properties = entity.GetProperties().Where(p => p.PropertyInfo is not null && (only is null || only.Contains(p.Name))).ToArray();
        ordinals = properties.Select((p, i) => (p.Name, i)).ToDictionary(p => p.Name, p => p.i);
        SelectList = string.Join(", ", properties.Select(p => $"\"{p.GetColumnName(table)}\""));

        var reader = Expression.Parameter(typeof(SqliteDataReader), "reader");
        var bindings = properties.Select((p, i) => Expression.Bind(p.PropertyInfo!, ValueExpression(p, reader, i)));
        Read = Expression.Lambda<Func<SqliteDataReader, T>>(Expression.MemberInit(Expression.New(typeof(T)), bindings), reader).Compile();
    }

    private readonly Dictionary<string, int> ordinals;

    public string SelectList { get; }

    public Func<SqliteDataReader, T> Read { get; }

    /// <summary>Where the property's column sits in <see cref="SelectList"/>.</summary>
    public int Ordinal(string property) => ordinals[property];

    /// <summary>One column as the property's type: a typed read, the model's converter, NULL as the default.</summary>
    public static Expression ValueExpression(IProperty property, Expression reader, int ordinal)
    {
        var mapping = property.GetRelationalTypeMapping();
        var converter = mapping.Converter;
        var providerType = converter?.ProviderClrType ?? mapping.ClrType;
        var stored = Nullable.GetUnderlyingType(providerType) ?? providerType;
        var getter = stored == typeof(byte[])
            ? typeof(SqliteDataReader).GetMethod(nameof(SqliteDataReader.GetFieldValue))!.MakeGenericMethod(typeof(byte[]))
            : Getters.TryGetValue(stored, out var name)
                ? typeof(SqliteDataReader).GetMethod(name, [typeof(int)])!
                : throw new NotSupportedException($"{property.DeclaringType.DisplayName()}.{property.Name}: no fast reader for {stored.Name} columns.");

        var index = Expression.Constant(ordinal);
        Expression value = Expression.Call(reader, getter, index);
        if (converter is not null)
        {
            var fromProvider = converter.ConvertFromProviderExpression;
            value = Expression.Invoke(fromProvider, Expression.Convert(value, fromProvider.Parameters[0].Type));
        }

        var target = property.ClrType;
        return Expression.Condition(
            Expression.Call(reader, typeof(SqliteDataReader).GetMethod(nameof(SqliteDataReader.IsDBNull), [typeof(int)])!, index),
            Expression.Default(target),
            Expression.Convert(value, target));
    }

    private static readonly Dictionary<Type, string> Getters = new()
    {
        [typeof(string)] = nameof(SqliteDataReader.GetString),
        [typeof(Guid)] = nameof(SqliteDataReader.GetGuid),
        [typeof(DateTime)] = nameof(SqliteDataReader.GetDateTime),
        [typeof(bool)] = nameof(SqliteDataReader.GetBoolean),
        [typeof(int)] = nameof(SqliteDataReader.GetInt32),
        [typeof(long)] = nameof(SqliteDataReader.GetInt64),
    };
}
