using Catalytic.Admin.Data;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Sso;

/// <summary>
/// The break-glass sign-in's per-account lockout, on top of the per-address rate limit: after
/// <see cref="FreeFailures"/> failures in a row for a team and user name, the name is locked for 1 min, then 2,
/// 4 … up to <see cref="MaxLock"/> for each further failure. Names that do not exist are counted alike, so the
/// answers never tell which accounts exist. A success, or an admin's reset, clears the count.
/// </summary>
public sealed class PasswordLockouts(IDbContextFactory<AdminDbContext> dbFactory, TimeProvider clock)
{
    public const int FreeFailures = 5;
    public static readonly TimeSpan FirstLock = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxLock = TimeSpan.FromHours(1);

    /// <summary>Failures older than this (and their lock, long over) are forgotten, and their rows pruned.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromDays(1);

    /// <summary>Until when the name is locked; null when it may try now.</summary>
    public async Task<DateTime?> LockedUntilAsync(Guid teamId, string userName, CancellationToken ct = default)
    {
        var name = Key(userName);
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var until = await db.PasswordLockouts.Where(l => l.TeamId == teamId && l.NormalizedUserName == name)
            .Select(l => l.LockedUntil).FirstOrDefaultAsync(ct);
        return until > now ? until : null;
    }

    /// <summary>Counts a failed sign-in; returns until when the name is now locked, or null if not (yet).</summary>
    public async Task<DateTime?> RecordFailureAsync(Guid teamId, string userName, CancellationToken ct = default)
    {
        var name = Key(userName);
        var now = Now;
        var forgetBefore = now - ForgetAfter;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.PasswordLockouts.FirstOrDefaultAsync(l => l.TeamId == teamId && l.NormalizedUserName == name, ct);
        if (row is null)
        {
            row = new PasswordLockout { TeamId = teamId, NormalizedUserName = name };
            db.PasswordLockouts.Add(row);
        }
        else if (row.LastFailedAt < forgetBefore)
        {
            row.FailedCount = 0;
        }

        row.FailedCount++;
        row.LastFailedAt = now;
        row.LockedUntil = row.FailedCount >= FreeFailures ? now + LockFor(row.FailedCount) : null;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two failures for the same name at once: the other one counted. The address limit still applies.
            return await LockedUntilAsync(teamId, userName, ct);
        }

        return row.LockedUntil;
    }

    /// <summary>Forgets the name's failures and lifts its lock: a successful sign-in, or an admin's reset (CLI).</summary>
    public async Task ClearAsync(Guid teamId, string userName, CancellationToken ct = default)
    {
        var name = Key(userName);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.PasswordLockouts.Where(l => l.TeamId == teamId && l.NormalizedUserName == name).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// Removes rows whose failures are forgotten anyway, so a flood of made-up names leaves nothing behind for
    /// long (their lock, at most <see cref="MaxLock"/>, ended long before).
    /// </summary>
    public async Task<int> PruneAsync(CancellationToken ct = default)
    {
        var forgetBefore = Now - ForgetAfter;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PasswordLockouts.Where(l => l.LastFailedAt < forgetBefore).ExecuteDeleteAsync(ct);
    }

    /// <summary>1 min at the <see cref="FreeFailures"/>th failure, doubling with each one after, capped.</summary>
    public static TimeSpan LockFor(int failedCount)
    {
        var doublings = Math.Min(failedCount - FreeFailures, 30);
        var span = FirstLock * Math.Pow(2, Math.Max(0, doublings));
        return span < MaxLock ? span : MaxLock;
    }

    // The table's key; a name longer than any real one is cut to the column's length (it still fails alike).
    private static string Key(string userName)
    {
        var name = UserRules.Normalize(userName);
        return name.Length <= UserRules.UserNameMaxLength ? name : name[..UserRules.UserNameMaxLength];
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
