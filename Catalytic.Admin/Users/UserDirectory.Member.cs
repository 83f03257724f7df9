using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Users;

public sealed record NotificationSettings(EmailNotifications EmailNotifications, bool WeeklyDigest);

/// <summary>
/// What members change about themselves. These are preferences, not directory attributes: they do not bump
/// the SCIM version and an IdP never overwrites them.
/// </summary>
public sealed partial class UserDirectory
{
    /// <summary>Records that the member finished or dismissed the welcome tour; the first time counts.</summary>
    public async Task<UserError?> CompleteWelcomeTourAsync(Guid teamId, Guid userId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.Users.Where(u => u.TeamId == teamId && u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.WelcomeTourCompletedAt, u => u.WelcomeTourCompletedAt ?? now), ct);
        return updated == 0 ? NotFound(userId) : null;
    }

    public async Task<UserError?> SaveNotificationSettingsAsync(Guid teamId, Guid userId, NotificationSettings settings, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(settings.EmailNotifications))
        {
            return new UserError(
                UserErrorKind.InvalidValue,
                "Email notifications must be one of: all activity, mentions only, or none.",
                "emailNotifications");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.Users.Where(u => u.TeamId == teamId && u.Id == userId)
            .ExecuteUpdateAsync(
                s => s.SetProperty(u => u.EmailNotifications, settings.EmailNotifications)
                    .SetProperty(u => u.WeeklyDigest, settings.WeeklyDigest),
                ct);
        return updated == 0 ? NotFound(userId) : null;
    }
}
