using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Catalytic.Admin.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Provisioning;

/// <summary>
/// Records SCIM requests off the request path: <see cref="Record"/> only queues; a background writer saves
/// in batches, drains the queue on a clean shutdown, and prunes events past the retention period. The queue is
/// bounded (<c>Catalytic:Activity:MaxQueuedEvents</c>): when the writer cannot keep up, new entries are dropped,
/// never waited for, and each team concerned gets one entry saying how many.
/// </summary>
public sealed partial class ProvisioningLog(
    IDbContextFactory<AdminDbContext> dbFactory,
    DatabaseWriteGate writes,
    IOptions<AppOptions> options,
    TimeProvider clock,
    ILogger<ProvisioningLog> logger) : BackgroundService
{
    private const int BatchSize = 2000;

    // Events saved before the log lets a waiting SCIM write go first (a few milliseconds of inserts).
    private const int EventsPerTurn = 100;
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    // A second's worth of events per write. Every commit makes each open SQLite connection drop its page cache,
    // and the (team, user) index takes a page write per event per commit; at 100,000 users, 1 s batches served
    // ~10% more lookups/s and ~4% more creates/s than 250 ms batches (benchmark, issue 5).
    private static readonly TimeSpan BatchWindow = TimeSpan.FromSeconds(1);

    /// <summary>The operation of the entry that reports dropped entries.</summary>
    public const string DroppedOperation = "dropped";

    // Not SingleReader: FlushAsync drains it too. TryWrite on a full queue returns false at once (FullMode Wait
    // only makes WriteAsync wait, which is never called).
    private readonly Channel<ProvisioningEvent> queue = Channel.CreateBounded<ProvisioningEvent>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Activity.MaxQueuedEvents)) { FullMode = BoundedChannelFullMode.Wait });

    // Entries dropped per team since the last report.
    private readonly ConcurrentDictionary<Guid, int> dropped = new();

    /// <summary>Raised after events are saved, with the teams they belong to; pages refresh on it.</summary>
    public event Action<IReadOnlyCollection<Guid>>? Recorded;

    public void Record(ProvisioningEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!queue.Writer.TryWrite(e))
        {
            dropped.AddOrUpdate(e.TeamId, 1, static (_, n) => n + 1);
        }
    }

    public static string DroppedDetail(int count) =>
        $"{count} activity entries were dropped because the log could not keep up. The requests themselves were answered as usual.";

    /// <summary>An entry a SCIM write committed in its own transaction: nothing to save, but the pages hear of it.</summary>
    public void RecordedWithWrite(ProvisioningEvent e) => Recorded?.Invoke([e.TeamId]);

    /// <summary>Waits until everything queued so far is saved (tests, benchmark, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        // Save what is queued now instead of at the end of the writer's batch window, then wait for a batch the
        // writer may have taken meanwhile.
        await DrainAsync(new List<ProvisioningEvent>(BatchSize), CancellationToken.None);
        while (Volatile.Read(ref writing) > 0)
        {
            await Task.Delay(10, ct);
        }
    }

    public async Task<IReadOnlyList<ProvisioningEvent>> ListAsync(Guid teamId, ActivityQuery query, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = db.ProvisioningEvents.AsNoTracking().Where(e => e.TeamId == teamId);
        if (query.Succeeded is { } succeeded)
        {
            events = succeeded ? events.Where(e => e.Status < 400) : events.Where(e => e.Status >= 400);
        }

        if (!string.IsNullOrEmpty(query.Operation))
        {
            events = events.Where(e => e.Operation == query.Operation);
        }

        if (query.UserId is { } userId)
        {
            events = events.Where(e => e.UserId == userId);
        }

        if (!string.IsNullOrWhiteSpace(query.UserName))
        {
            var name = query.UserName.Trim();
            events = events.Where(e => e.UserName != null && e.UserName.Contains(name));
        }

        return await events.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Skip(query.Skip).Take(query.Take).ToListAsync(ct);
    }

    private int writing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextPrune = clock.GetUtcNow();
        var batch = new List<ProvisioningEvent>(BatchSize);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                // Let a burst of provisioning requests gather into one write, so the log does not take the
                // database's write lock (and a disk flush) once per request while the IdP is creating users.
                await Task.Delay(BatchWindow, stoppingToken);
                await DrainAsync(batch, CancellationToken.None);
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
        // Whatever was queued before shutdown is still saved.
        await DrainAsync(new List<ProvisioningEvent>(BatchSize), CancellationToken.None);
    }

    private async Task DrainAsync(List<ProvisioningEvent> batch, CancellationToken ct)
    {
        Interlocked.Increment(ref writing);
        try
        {
            while (queue.Reader.TryRead(out var e))
            {
                batch.Add(e);
                if (batch.Count >= BatchSize)
                {
                    await SaveAsync(batch, ct);
                }
            }

            ReportDropped(batch);
            if (batch.Count > 0)
            {
                await SaveAsync(batch, ct);
            }
        }
        finally
        {
            Interlocked.Decrement(ref writing);
        }
    }

    /// <summary>One entry per team whose entries were dropped, added to the batch (not the full queue), and a warning.</summary>
    private void ReportDropped(List<ProvisioningEvent> batch)
    {
        if (dropped.IsEmpty)
        {
            return;
        }

        var total = 0;
        foreach (var teamId in dropped.Keys)
        {
            if (dropped.TryRemove(teamId, out var count))
            {
                total += count;
                batch.Add(new ProvisioningEvent
                {
                    TeamId = teamId,
                    At = clock.GetUtcNow().UtcDateTime,
                    Method = "-",
                    Path = "(activity log)",
                    Operation = DroppedOperation,
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Detail = DroppedDetail(count),
                });
            }
        }

        if (total > 0)
        {
            logger.LogWarning("{Count} activity entries were dropped because the log could not keep up", total);
        }
    }

    private async Task SaveAsync(List<ProvisioningEvent> batch, CancellationToken ct)
    {
        // A batch is committed in pieces (see InsertAsync): what failed is the part after the last piece saved.
        var saved = 0;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            while (saved < batch.Count)
            {
                using (await writes.EnterAsync(ct))
                {
                    saved = await InsertAsync(db, batch, saved, ct);
                }
            }

            var teams = batch.Select(e => e.TeamId).Distinct().ToArray();
            Recorded?.Invoke(teams);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // An event for a team deleted meanwhile must not stop the log.
            logger.LogWarning(e, "Could not save {Count} provisioning events", batch.Count - saved);
        }
        finally
        {
            batch.Clear();
        }
    }

    /// <summary>
    /// One prepared INSERT run per event in one transaction, from <paramref name="start"/>; returns where it
    /// stopped. The log writes once per SCIM request, and SaveChanges (change tracking, a RETURNING per row) cost
    /// more CPU than the request itself. Table, columns and value conversions come from the EF model, so it is
    /// right on SQLite and PostgreSQL alike. While an IdP is writing users, the batch is committed in pieces so
    /// that a create or update never waits behind a whole second of log.
    /// </summary>
    private async Task<int> InsertAsync(AdminDbContext db, List<ProvisioningEvent> batch, int start, CancellationToken ct)
    {
        var entity = db.Model.FindEntityType(typeof(ProvisioningEvent))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = Columns.Select(name => entity.FindProperty(name)!).ToArray();
        var mappings = columns.Select(c => (RelationalTypeMapping)c.GetRelationalTypeMapping()).ToArray();

        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText =
            $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} " +
            $"({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName(table)!)))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => sql.GenerateParameterName("p" + i)))})";

        var next = start;
        for (; next < batch.Count && (next - start < EventsPerTurn || !writes.OthersWaiting); next++)
        {
            var e = batch[next];
            object?[] values = [e.TeamId, e.At, e.Method, e.Path, e.Operation, e.Status, e.UserId, e.UserName, e.ErrorType, e.Detail, e.DurationMs];
            command.Parameters.Clear();
            for (var i = 0; i < columns.Length; i++)
            {
                command.Parameters.Add(mappings[i].CreateParameter(command, sql.GenerateParameterName("p" + i), values[i], columns[i].IsNullable));
            }

            await command.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return next;
    }

    // In the order of the values in InsertAsync; Id is generated by the database.
    private static readonly string[] Columns =
    [
        nameof(ProvisioningEvent.TeamId), nameof(ProvisioningEvent.At), nameof(ProvisioningEvent.Method), nameof(ProvisioningEvent.Path),
        nameof(ProvisioningEvent.Operation), nameof(ProvisioningEvent.Status), nameof(ProvisioningEvent.UserId), nameof(ProvisioningEvent.UserName),
        nameof(ProvisioningEvent.ErrorType), nameof(ProvisioningEvent.Detail), nameof(ProvisioningEvent.DurationMs),
    ];

    private async Task PruneAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-Math.Max(1, options.Value.Activity.RetentionDays));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        int removed;
        using (await writes.EnterAsync(ct))
        {
            removed = await db.ProvisioningEvents.Where(e => e.At < cutoff).ExecuteDeleteAsync(ct);
        }

        if (removed > 0)
        {
            logger.LogInformation("Pruned {Count} provisioning events older than {Cutoff:u}", removed, cutoff);
        }
    }
}

public sealed record ActivityQuery
{
    public bool? Succeeded { get; init; }

    public string? Operation { get; init; }

    public Guid? UserId { get; init; }

    public string? UserName { get; init; }

    public int Skip { get; init; }

    public int Take { get; init; } = 50;
}
