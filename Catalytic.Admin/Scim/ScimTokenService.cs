using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Catalytic.Admin.Data;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Scim;

public sealed record ScimTokenInfo(Guid Id, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt)
{
    /// <summary>The newest live token, the one to paste into the IdP; others are in their grace period.</summary>
    public bool IsCurrent => ExpiresAt is null;
}

public sealed record ScimStatus(bool SsoConfigured, bool Enabled, IReadOnlyList<ScimTokenInfo> LiveTokens);

public sealed record ProvisioningDefaults(EmailNotifications EmailNotifications, bool WeeklyDigest, bool ShowWelcomeTour)
{
    /// <summary>What a team that never saved its defaults gets: the initial values of <see cref="ScimSettings"/>.</summary>
    public static readonly ProvisioningDefaults Initial = From(new ScimSettings());

    public static ProvisioningDefaults From(ScimSettings s) => new(s.DefaultEmailNotifications, s.DefaultWeeklyDigest, s.DefaultShowWelcomeTour);
}

public enum ScimAuthFailure
{
    Missing,
    Unknown,
    Revoked,
    Expired,
    Disabled,
    WrongTeam,
}

/// <summary>The outcome of a token check; <paramref name="TokenId"/> is the accepted token's id (the throttle's partition).</summary>
public readonly record struct ScimTokenValidation(Guid TeamId, string TeamSlug, ScimAuthFailure? Failure, Guid TokenId = default)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// The one service behind the "Connect to SCIM" toggle, the token panel, the CLI and the SCIM bearer
/// authentication: enabling and disabling, issuing, rotating with a grace period, revealing and validating
/// tokens. Reads the database on every validation, so a change takes effect on the very next request.
/// </summary>
public sealed class ScimTokenService(
    IDbContextFactory<AdminDbContext> dbFactory,
    IHotPathReads reads,
    IDataProtectionProvider dataProtection,
    TimeProvider clock)
{
    public const string TokenPrefix = "scim_";
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private readonly IDataProtector protector = dataProtection.CreateProtector("Catalytic.Admin.ScimToken.v1");

    // When each token's LastUsedAt was last written: saves a write per request under provisioning load.
    private readonly ConcurrentDictionary<Guid, DateTime> lastUsedWritten = new();

    public async Task<ScimStatus> GetStatusAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ssoConfigured = await db.SsoConnections.AnyAsync(c => c.TeamId == teamId && c.VerifiedAt != null, ct);
        var enabled = await db.ScimSettings.Where(s => s.TeamId == teamId).Select(s => s.Enabled).FirstOrDefaultAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var tokens = await db.ScimTokens.AsNoTracking()
            .Where(t => t.TeamId == teamId && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now))
            .OrderByDescending(t => t.CreatedAt)
            .Select(t => new ScimTokenInfo(t.Id, t.CreatedAt, t.ExpiresAt, t.LastUsedAt))
            .ToListAsync(ct);
        return new ScimStatus(ssoConfigured, enabled, tokens);
    }

    /// <summary>
    /// Turns SCIM on. Refused while SSO is not configured. Issues the team's first token when it has no live
    /// one, and returns it; re-enabling keeps the token the IdP already has.
    /// </summary>
    public async Task<(string? NewToken, string? Error)> EnableAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.SsoConnections.AnyAsync(c => c.TeamId == teamId && c.VerifiedAt != null, ct))
        {
            return (null, "SCIM needs a verified SSO connection first: provisioned users sign in through it. Configure SSO, then connect SCIM.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var settings = await GetOrAddSettingsAsync(db, teamId, ct);
        settings.Enabled = true;
        settings.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        var now = settings.UpdatedAt;
        string? token = null;
        if (!await db.ScimTokens.AnyAsync(t => t.TeamId == teamId && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now), ct))
        {
            token = AddToken(db, teamId);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return (token, null);
    }

    public async Task DisableAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var settings = await GetOrAddSettingsAsync(db, teamId, ct);
        settings.Enabled = false;
        settings.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Issues a new token. Tokens live before it keep working for <paramref name="grace"/>
    /// (zero revokes them at once).
    /// </summary>
    public async Task<string> RotateAsync(Guid teamId, TimeSpan grace, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var live = await db.ScimTokens
            .Where(t => t.TeamId == teamId && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now))
            .ToListAsync(ct);
        foreach (var old in live)
        {
            if (grace == TimeSpan.Zero)
            {
                old.RevokedAt = now;
            }
            else
            {
                var end = now + grace;
                old.ExpiresAt = old.ExpiresAt is { } existing && existing < end ? existing : end;
            }
        }

        var token = AddToken(db, teamId);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return token;
    }

    /// <summary>The value of a live token of this team, for the admin who asks to see it again.</summary>
    public async Task<string?> RevealAsync(Guid teamId, Guid tokenId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var token = await db.ScimTokens.AsNoTracking()
            .FirstOrDefaultAsync(t => t.TeamId == teamId && t.Id == tokenId && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now), ct);
        return token is null ? null : protector.Unprotect(token.ProtectedValue);
    }

    /// <summary>The current (newest live) token's value, for the CLI.</summary>
    public async Task<string?> RevealCurrentAsync(Guid teamId, CancellationToken ct = default)
    {
        var status = await GetStatusAsync(teamId, ct);
        return status.LiveTokens.FirstOrDefault(t => t.IsCurrent) is { } current ? await RevealAsync(teamId, current.Id, ct) : null;
    }

    public async Task RevokeAsync(Guid teamId, Guid tokenId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await db.ScimTokens.Where(t => t.TeamId == teamId && t.Id == tokenId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
    }

    /// <summary>
    /// Validates a presented bearer token for the team named in the URL. The token is found by its SHA-256
    /// hash and the hash compared in constant time; the team must match and have SCIM enabled.
    /// </summary>
    public async Task<ScimTokenValidation> ValidateAsync(string? presented, string teamSlug, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return new(Guid.Empty, teamSlug, ScimAuthFailure.Missing);
        }

        var hash = Hash(presented);
        var found = await reads.FindTokenAsync(hash, ct);

        if (found is null || !CryptographicOperations.FixedTimeEquals(found.Hash, hash))
        {
            return new(Guid.Empty, teamSlug, ScimAuthFailure.Unknown);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        ScimAuthFailure? failure =
            !string.Equals(found.Slug, teamSlug, StringComparison.OrdinalIgnoreCase) ? ScimAuthFailure.WrongTeam
            : found.RevokedAt is not null ? ScimAuthFailure.Revoked
            : found.ExpiresAt is { } expires && expires <= now ? ScimAuthFailure.Expired
            : !found.Enabled ? ScimAuthFailure.Disabled
            : null;
        if (failure is not null)
        {
            return new(Guid.Empty, teamSlug, failure);
        }

        await TouchLastUsedAsync(found.Id, now, ct);
        return new(found.TeamId, found.Slug, null, found.Id);
    }

    public async Task<ProvisioningDefaults> GetDefaultsAsync(Guid teamId, CancellationToken ct = default) =>
        await reads.FindProvisioningDefaultsAsync(teamId, ct) ?? ProvisioningDefaults.Initial;

    public async Task SaveDefaultsAsync(Guid teamId, ProvisioningDefaults defaults, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(defaults.EmailNotifications))
        {
            throw new ArgumentOutOfRangeException(nameof(defaults), "Unknown email notification setting.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var settings = await GetOrAddSettingsAsync(db, teamId, ct);
        settings.DefaultEmailNotifications = defaults.EmailNotifications;
        settings.DefaultWeeklyDigest = defaults.WeeklyDigest;
        settings.DefaultShowWelcomeTour = defaults.ShowWelcomeTour;
        settings.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    internal static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private string AddToken(AdminDbContext db, Guid teamId)
    {
        // 256 random bits; the prefix lets secret scanners recognise a leaked token.
        var value = TokenPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        db.ScimTokens.Add(new ScimToken
        {
            TeamId = teamId,
            Hash = Hash(value),
            ProtectedValue = protector.Protect(value),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        return value;
    }

    private async Task TouchLastUsedAsync(Guid tokenId, DateTime now, CancellationToken ct)
    {
        if (lastUsedWritten.TryGetValue(tokenId, out var written) && now - written < LastUsedResolution)
        {
            return;
        }

        lastUsedWritten[tokenId] = now;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.ScimTokens.Where(t => t.Id == tokenId).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
    }

    private static async Task<ScimSettings> GetOrAddSettingsAsync(AdminDbContext db, Guid teamId, CancellationToken ct)
    {
        var settings = await db.ScimSettings.FirstOrDefaultAsync(s => s.TeamId == teamId, ct);
        if (settings is null)
        {
            settings = new ScimSettings { TeamId = teamId };
            db.ScimSettings.Add(settings);
        }

        return settings;
    }
}
