using Catalytic.Admin.Data;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Sso;

/// <summary>A team's sessions changed: one started, or some were ended (signed out, revoked).</summary>
public sealed record SessionChange(Guid TeamId, Guid UserId, bool Ended);

/// <summary>
/// The server-side sessions behind the session cookie: started at every sign-in, checked on every request,
/// ended by sign-out, by an admin, or when the account is deactivated. Every call is scoped to one team.
/// Also the background job that prunes long-ended sessions and expired password lockouts.
/// </summary>
public sealed class UserSessions : BackgroundService
{
    /// <summary>The cookie's sliding lifetime: a session unused for this long has expired.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>LastSeenAt is written at most this often per session, so a request costs one read, not a write.</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(5);

    /// <summary>Ended sessions stay listed in the database this long, then are pruned.</summary>
    public static readonly TimeSpan KeepEnded = TimeSpan.FromDays(30);

    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private readonly IDbContextFactory<AdminDbContext> dbFactory;
    private readonly PasswordLockouts lockouts;
    private readonly UserChangeNotifier users;
    private readonly TimeProvider clock;
    private readonly ILogger<UserSessions> logger;

    // The per-request check, compiled once. Per instance: a compiled query stays bound to its first provider.
    private readonly Func<AdminDbContext, Guid, CancellationToken, Task<UserSession?>> find = EF.CompileAsyncQuery(
        (AdminDbContext db, Guid id, CancellationToken ct) => db.UserSessions.AsNoTracking().FirstOrDefault(s => s.Id == id));

    public UserSessions(IDbContextFactory<AdminDbContext> dbFactory, PasswordLockouts lockouts, UserChangeNotifier users, TimeProvider clock, ILogger<UserSessions> logger)
    {
        this.dbFactory = dbFactory;
        this.lockouts = lockouts;
        this.users = users;
        this.clock = clock;
        this.logger = logger;
        users.Changed += OnUserChanged;
    }

    /// <summary>Raised after a session started or sessions ended; open pages and circuits react to it.</summary>
    public event Action<SessionChange>? Changed;

    public async Task<UserSession> StartAsync(Guid teamId, Guid userId, string method, string? ipAddress, string? userAgent, CancellationToken ct = default)
    {
        var now = Now;
        var session = new UserSession
        {
            TeamId = teamId,
            UserId = userId,
            Method = Shorten(method, 16)!,
            CreatedAt = now,
            LastSeenAt = now,
            IpAddress = Shorten(ipAddress, 64),
            UserAgent = Shorten(userAgent, 256),
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.UserSessions.Add(session);
            await db.SaveChangesAsync(ct);
        }

        Changed?.Invoke(new SessionChange(teamId, userId, Ended: false));
        return session;
    }

    /// <summary>
    /// Whether the session is still open for this user: it exists, belongs to them, is not revoked and has not
    /// expired. <paramref name="touch"/> (HTTP requests) records the activity, at most every few minutes.
    /// </summary>
    public async Task<bool> IsActiveAsync(Guid teamId, Guid userId, Guid sessionId, bool touch, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var session = await find(db, sessionId, ct);
        var now = Now;
        if (session is null || session.TeamId != teamId || session.UserId != userId || !IsActive(session, now))
        {
            return false;
        }

        if (touch && now - session.LastSeenAt >= TouchInterval)
        {
            await db.UserSessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), ct);
        }

        return true;
    }

    /// <summary>The user's open sessions, the most recently used first.</summary>
    public async Task<IReadOnlyList<UserSession>> ListActiveAsync(Guid teamId, Guid userId, CancellationToken ct = default)
    {
        var seenAfter = Now - Lifetime - TouchInterval;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserSessions.AsNoTracking()
            .Where(s => s.TeamId == teamId && s.UserId == userId && s.RevokedAt == null && s.LastSeenAt > seenAfter)
            .OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.CreatedAt)
            .ToListAsync(ct);
    }

    /// <summary>
    /// Ends one session of the team; false when the team has no such open session. Open pages of the session end at
    /// once, unless <paramref name="notifyPages"/> is false: a sign-out, whose own page is already on its way to the
    /// sign-in page (ended at once, its circuit would redirect the browser first and cancel that navigation); other
    /// pages of that session end at their next periodic check.
    /// </summary>
    public async Task<bool> RevokeAsync(Guid teamId, Guid sessionId, bool notifyPages = true, CancellationToken ct = default)
    {
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var userId = await db.UserSessions.Where(s => s.TeamId == teamId && s.Id == sessionId && s.RevokedAt == null)
            .Select(s => (Guid?)s.UserId).FirstOrDefaultAsync(ct);
        if (userId is null)
        {
            return false;
        }

        var ended = await db.UserSessions.Where(s => s.TeamId == teamId && s.Id == sessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);
        if (ended > 0 && notifyPages)
        {
            Changed?.Invoke(new SessionChange(teamId, userId.Value, Ended: true));
        }

        return ended > 0;
    }

    /// <summary>Signs the user out everywhere; returns how many sessions were open.</summary>
    public async Task<int> RevokeAllAsync(Guid teamId, Guid userId, CancellationToken ct = default)
    {
        var now = Now;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ended = await db.UserSessions.Where(s => s.TeamId == teamId && s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);
        if (ended > 0)
        {
            Changed?.Invoke(new SessionChange(teamId, userId, Ended: true));
        }

        return ended;
    }

    /// <summary>Removes sessions that ended (revoked or expired) more than <see cref="KeepEnded"/> ago.</summary>
    public async Task<int> PruneAsync(CancellationToken ct = default)
    {
        var revokedBefore = Now - KeepEnded;
        var seenBefore = revokedBefore - Lifetime - TouchInterval;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserSessions.Where(s => s.RevokedAt < revokedBefore || s.LastSeenAt < seenBefore).ExecuteDeleteAsync(ct);
    }

    public override void Dispose()
    {
        users.Changed -= OnUserChanged;
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PruneInterval, clock);
        do
        {
            try
            {
                var sessions = await PruneAsync(stoppingToken);
                var names = await lockouts.PruneAsync(stoppingToken);
                if (sessions + names > 0)
                {
                    logger.LogInformation("Pruned {Sessions} ended sessions and {Lockouts} expired password lockouts", sessions, names);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next round tries again; a busy database must not stop the job.
                logger.LogWarning(e, "Could not prune ended sessions");
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // Expired: no request renewed the cookie within its lifetime (LastSeenAt lags by up to TouchInterval).
    private static bool IsActive(UserSession session, DateTime now) =>
        session.RevokedAt is null && session.LastSeenAt > now - Lifetime - TouchInterval;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private void OnUserChanged(UserChange change)
    {
        // A deactivated account's sessions end for good, so reactivating it later does not revive them.
        // Raised on the writer's thread: revoke in the background, never block the writer.
        if (change.Kind == UserChangeKind.Deactivated)
        {
            _ = RevokeAfterDeactivationAsync(change);
        }
    }

    private async Task RevokeAfterDeactivationAsync(UserChange change)
    {
        try
        {
            await RevokeAllAsync(change.TeamId, change.UserId);
        }
        catch (Exception e)
        {
            // The account check still refuses these sessions while the account is inactive.
            logger.LogWarning(e, "Could not end the sessions of deactivated user {UserId}", change.UserId);
        }
    }

    private static string? Shorten(string? value, int max) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= max ? value : value[..max];
}
