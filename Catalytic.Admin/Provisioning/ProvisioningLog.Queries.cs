using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Provisioning;

public sealed record ActivitySummary(int RequestsSince, int FailedSince, ProvisioningEvent? Last);

/// <summary>Reads for the admin home and the activity page's filters, all on the (team, time) index.</summary>
public sealed partial class ProvisioningLog
{
    private const int RecentOperationsWindow = 1000;

    /// <summary>Requests and failed requests since <paramref name="since"/>, and the team's latest request.</summary>
    public async Task<ActivitySummary> SummaryAsync(Guid teamId, DateTime since, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var recent = db.ProvisioningEvents.AsNoTracking().Where(e => e.TeamId == teamId && e.At >= since);
        var requests = await recent.CountAsync(ct);
        var failed = requests == 0 ? 0 : await recent.CountAsync(e => e.Status >= 400, ct);
        var last = await db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.TeamId == teamId)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .FirstOrDefaultAsync(ct);
        return new ActivitySummary(requests, failed, last);
    }

    /// <summary>The operations seen in the team's latest requests, for the activity filter.</summary>
    public async Task<IReadOnlyList<string>> RecentOperationsAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.TeamId == teamId)
            .OrderByDescending(e => e.At)
            .Take(RecentOperationsWindow)
            .Select(e => e.Operation)
            .Distinct()
            .OrderBy(o => o)
            .ToListAsync(ct);
    }
}
