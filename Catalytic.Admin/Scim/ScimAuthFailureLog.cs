using System.Data.Common;
using System.Runtime.InteropServices;
using Catalytic.Admin.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Scim;

/// <summary>
/// Refused SCIM authentications, counted per team and source (<see cref="ScimAuthFailureCount"/>): summed in
/// memory and saved every few seconds with one upsert per (team, source), so a flood of 401s costs the database
/// little and writes nothing the caller chose. At most <see cref="MaxPendingSources"/> pairs wait between
/// saves; further sources of a team are summed as <see cref="OtherSources"/>. Pruned with the activity.
/// </summary>
public sealed class ScimAuthFailureLog(
    IDbContextFactory<AdminDbContext> dbFactory,
    DatabaseWriteGate writes,
    IOptions<AppOptions> options,
    TimeProvider clock,
    ILogger<ScimAuthFailureLog> logger) : BackgroundService
{
    internal const int MaxPendingSources = 1000;
    public const string OtherSources = "other";
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private readonly Lock gate = new();
    // Never disposed: StopAsync may flush after the container has disposed this service.
    private readonly SemaphoreSlim saving = new(1, 1);
    private Dictionary<(Guid TeamId, string Source), Pending> pending = [];

    public void Count(Guid teamId, string source)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        lock (gate)
        {
            var key = (teamId, source);
            if (pending.Count >= MaxPendingSources && !pending.ContainsKey(key))
            {
                key = (teamId, OtherSources);
            }

            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(pending, key, out var exists);
            entry = exists ? entry with { Count = entry.Count + 1, LastAt = now } : new Pending(1, now, now);
        }
    }

    /// <summary>The team's refused sources, latest first.</summary>
    public async Task<IReadOnlyList<ScimAuthFailureCount>> ListAsync(Guid teamId, int take = 10, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ScimAuthFailureCounts.AsNoTracking()
            .Where(f => f.TeamId == teamId)
            .OrderByDescending(f => f.LastAt)
            .Take(take)
            .ToListAsync(ct);
    }

    /// <summary>Saves what was counted so far (tests, shutdown); waits for a save already under way.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await saving.WaitAsync(ct);
        try
        {
            Dictionary<(Guid TeamId, string Source), Pending> batch;
            lock (gate)
            {
                if (pending.Count == 0)
                {
                    return;
                }

                batch = pending;
                pending = [];
            }

            await SaveAsync(batch, CancellationToken.None);
        }
        finally
        {
            saving.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextPrune = clock.GetUtcNow();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(FlushInterval, stoppingToken);
                await FlushAsync(stoppingToken);
                if (clock.GetUtcNow() >= nextPrune)
                {
                    await PruneAsync(stoppingToken);
                    nextPrune = clock.GetUtcNow() + PruneInterval;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    private async Task SaveAsync(Dictionary<(Guid TeamId, string Source), Pending> batch, CancellationToken ct)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var entity = db.Model.FindEntityType(typeof(ScimAuthFailureCount))!;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var sql = db.GetService<ISqlGenerationHelper>();
            var columns = Columns.Select(name => entity.FindProperty(name)!).ToArray();
            var mappings = columns.Select(c => (RelationalTypeMapping)c.GetRelationalTypeMapping()).ToArray();
            string Column(int i) => sql.DelimitIdentifier(columns[i].GetColumnName(table)!);
            var name = sql.DelimitIdentifier(table.Name, table.Schema);

            using (await writes.EnterAsync(ct))
            {
                await db.Database.OpenConnectionAsync(ct);
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.Transaction = transaction.GetDbTransaction();
                // The same upsert on SQLite and PostgreSQL: a new pair is inserted, a known one adds its count.
                command.CommandText =
                    $"INSERT INTO {name} ({string.Join(", ", columns.Select((_, i) => Column(i)))}) " +
                    $"VALUES ({string.Join(", ", columns.Select((_, i) => sql.GenerateParameterName("p" + i)))}) " +
                    $"ON CONFLICT ({Column(0)}, {Column(1)}) DO UPDATE SET " +
                    $"{Column(2)} = {name}.{Column(2)} + excluded.{Column(2)}, {Column(4)} = excluded.{Column(4)}";
                foreach (var ((teamId, source), counted) in batch)
                {
                    object[] values = [teamId, source, counted.Count, counted.FirstAt, counted.LastAt];
                    command.Parameters.Clear();
                    for (var i = 0; i < columns.Length; i++)
                    {
                        command.Parameters.Add(mappings[i].CreateParameter(command, sql.GenerateParameterName("p" + i), values[i], nullable: false));
                    }

                    await command.ExecuteNonQueryAsync(ct);
                }

                await transaction.CommitAsync(ct);
            }
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // A team deleted meanwhile must not stop the counting.
            logger.LogWarning(e, "Could not save {Count} refused SCIM authentication counters", batch.Count);
        }
    }

    // In the order of the values in SaveAsync: the key first, then Count, FirstAt, LastAt.
    private static readonly string[] Columns =
    [
        nameof(ScimAuthFailureCount.TeamId), nameof(ScimAuthFailureCount.Source), nameof(ScimAuthFailureCount.Count),
        nameof(ScimAuthFailureCount.FirstAt), nameof(ScimAuthFailureCount.LastAt),
    ];

    internal async Task PruneAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-Math.Max(1, options.Value.Activity.RetentionDays));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using (await writes.EnterAsync(ct))
        {
            await db.ScimAuthFailureCounts.Where(f => f.LastAt < cutoff).ExecuteDeleteAsync(ct);
        }
    }

    private readonly record struct Pending(long Count, DateTime FirstAt, DateTime LastAt);
}
