using System.Collections.Concurrent;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Data;

/// <summary>
/// Saves the user changes of concurrent requests together. On SQLite everything queued while the previous group
/// was written goes into the next transaction (<see cref="SqliteUserRows"/>): one commit for the group, a
/// savepoint per request. Taking the write turn per request made each create wait for every create queued
/// before it, its EF Core SaveChanges, its commit and the hand-over of the turn included; under an IdP's sync
/// at concurrency 16 that queue, not SQLite, set the latency. On PostgreSQL, which takes concurrent writers
/// itself, each request saves on its own through EF Core. A write may carry its activity entry, saved in the same
/// transaction (SQLite: the request's savepoint; PostgreSQL: the same SaveChanges).
/// </summary>
public sealed class GroupCommit : IDisposable
{
    private const int MaxGroupSize = 64;

    private readonly IDbContextFactory<AdminDbContext> dbFactory;
    private readonly DatabaseWriteGate writes;
    private readonly SqliteUserRows? rows;
    private readonly ILogger<GroupCommit> logger;
    private readonly ConcurrentQueue<Pending> queue = new();
    private int draining;

    internal GroupCommit(IDbContextFactory<AdminDbContext> dbFactory, DatabaseWriteGate writes, SqliteUserRows? rows, ILogger<GroupCommit> logger)
    {
        this.dbFactory = dbFactory;
        this.writes = writes;
        this.rows = rows;
        this.logger = logger;
    }

    /// <summary>True on SQLite: writes are grouped; false where each request saves on its own.</summary>
    public bool GroupsWrites => rows is not null;

    /// <summary>Writes waiting for the next group (tests that build a group of their own).</summary>
    internal int Queued => queue.Count;

    /// <summary>
    /// Saves a new user; throws what EF Core's SaveChanges would: <see cref="DbUpdateException"/> when a unique
    /// index refuses it. Once queued, the save happens even if <paramref name="ct"/> is cancelled, as a commit
    /// already under way would.
    /// </summary>
    public async Task AddAsync(User user, ProvisioningEvent? activity, CancellationToken ct)
    {
        if (rows is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.Users.Add(user);
            AddEntry(db, activity);
            await db.SaveChangesAsync(ct);
            return;
        }

        await EnqueueAsync(new UserRowChange(user, EntityState.Added, 0, activity), ct);
    }

    /// <summary>
    /// Saves every column of <paramref name="user"/> but its id, team and creation time, if the stored row is still at
    /// <paramref name="readVersion"/> (else <see cref="DbUpdateConcurrencyException"/>); on SQLite without a context.
    /// With <paramref name="mustLeaveAnAdmin"/> the save is undone, and <see cref="LastAdminException"/> thrown, when
    /// the team would be left without an active admin.
    /// </summary>
    public async Task UpdateAsync(User user, int readVersion, bool mustLeaveAnAdmin, ProvisioningEvent? activity, CancellationToken ct)
    {
        if (rows is null)
        {
            await SaveOnItsOwnAsync(user.TeamId, mustLeaveAnAdmin, activity, db =>
            {
                var entry = db.Users.Attach(user);
                entry.Property(u => u.Version).OriginalValue = readVersion;
                foreach (var property in entry.Properties.Where(p => !UserRowChange.NeverChanged.Contains(p.Metadata.Name)))
                {
                    property.IsModified = true;
                }
            }, ct);
            return;
        }

        await EnqueueAsync(new UserRowChange(user, EntityState.Modified, readVersion, activity, mustLeaveAnAdmin), ct);
    }

    /// <summary>
    /// Deletes the user if the stored row is still at the version it was read with (else <see cref="DbUpdateConcurrencyException"/>);
    /// <paramref name="mustLeaveAnAdmin"/> as for <see cref="UpdateAsync"/>.
    /// </summary>
    public async Task DeleteAsync(User user, bool mustLeaveAnAdmin, ProvisioningEvent? activity, CancellationToken ct)
    {
        if (rows is null)
        {
            await SaveOnItsOwnAsync(user.TeamId, mustLeaveAnAdmin, activity, db => db.Users.Attach(user).State = EntityState.Deleted, ct);
            return;
        }

        await EnqueueAsync(new UserRowChange(user, EntityState.Deleted, user.Version, activity, mustLeaveAnAdmin), ct);
    }

    /// <summary>
    /// One request's save through EF Core (PostgreSQL), with its activity entry in the same SaveChanges. A save that
    /// removes an admin first locks the team's row, so such saves of one team take turns and each one's check sees
    /// the others' committed changes (READ COMMITTED reads afresh per statement); FOR NO KEY UPDATE leaves creates,
    /// whose foreign key takes a KEY SHARE lock, free.
    /// </summary>
    private async Task SaveOnItsOwnAsync(Guid teamId, bool mustLeaveAnAdmin, ProvisioningEvent? activity, Action<AdminDbContext> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        change(db);
        AddEntry(db, activity);
        if (!mustLeaveAnAdmin)
        {
            await db.SaveChangesAsync(ct);
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM \"Teams\" WHERE \"Id\" = {teamId} FOR NO KEY UPDATE", ct);
        }

        await db.SaveChangesAsync(ct);
        if (!await db.Users.AnyAsync(u => u.TeamId == teamId && u.IsAdmin && u.Active, ct))
        {
            throw new LastAdminException(teamId); // the transaction is rolled back as it is disposed
        }

        await transaction.CommitAsync(ct);
    }

    // In the user's SaveChanges: EF Core sends both in one batch and one transaction.
    private static void AddEntry(AdminDbContext db, ProvisioningEvent? activity)
    {
        if (activity is not null)
        {
            db.ProvisioningEvents.Add(activity);
        }
    }

    private Task EnqueueAsync(UserRowChange change, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var pending = new Pending(change);
        queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref draining, 1, 0) == 0)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }

        return pending.Done.Task;
    }

    private async Task DrainAsync()
    {
        var group = new List<Pending>(MaxGroupSize);
        try
        {
            while (true)
            {
                if (queue.IsEmpty)
                {
                    Volatile.Write(ref draining, 0);

                    // A request that queued after the check above but still saw draining = 1 is ours to save.
                    if (queue.IsEmpty || Interlocked.CompareExchange(ref draining, 1, 0) != 0)
                    {
                        return;
                    }
                }

                group.Clear();
                using (await writes.EnterAsync(CancellationToken.None))
                {
                    while (group.Count < MaxGroupSize && queue.TryDequeue(out var next))
                    {
                        group.Add(next);
                    }

                    Write(group);
                }

                foreach (var pending in group)
                {
                    pending.Complete();
                }
            }
        }
        catch (Exception e)
        {
            // A bug here must not leave requests waiting for ever: fail what was taken, let the next request drain.
            logger.LogError(e, "The group commit stopped.");
            foreach (var pending in group)
            {
                pending.Failure ??= e;
                pending.Complete();
            }

            Volatile.Write(ref draining, 0);
        }
    }

    private void Write(List<Pending> group)
    {
        try
        {
            var failures = rows!.Write([.. group.Select(p => p.Change)]);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Failure = failures[i];
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "A group of {Count} user writes could not be committed.", group.Count);
            foreach (var pending in group)
            {
                pending.Failure = e;
            }
        }
    }

    public void Dispose() => rows?.Dispose();

    private sealed class Pending(UserRowChange change)
    {
        public UserRowChange Change { get; } = change;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Failure { get; set; }

        public void Complete()
        {
            if (Failure is null)
            {
                Done.TrySetResult();
            }
            else
            {
                Done.TrySetException(Failure);
            }
        }
    }
}
