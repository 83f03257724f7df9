using Catalytic.Admin.Data;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Sso;

public sealed record SsoConnectionInput
{
    public string Issuer { get; init; } = "";

    public string ClientId { get; init; } = "";

    /// <summary>Empty keeps the secret already saved, but only for the same issuer and client ID.</summary>
    public string? ClientSecret { get; init; }

    public string Scopes { get; init; } = SsoDefaults.Scopes;

    public string UniqueIdClaim { get; init; } = SsoDefaults.UniqueIdClaim;
}

/// <summary>What pages may see of a connection: never the secret, only whether one is saved.</summary>
public sealed record SsoConnectionView(
    string Issuer,
    string ClientId,
    bool HasClientSecret,
    string Scopes,
    string UniqueIdClaim,
    DateTime? VerifiedAt,
    DateTime? LastTestSignInAt,
    string? LastTestSignInSubject)
{
    public bool IsConfigured => VerifiedAt is not null;

    /// <summary>The same provider application: the saved secret and the members' bindings are kept (see <see cref="SsoConnectionService.IsSameClient"/>).</summary>
    public bool IsSameClientAs(string? issuer, string? clientId) => SsoConnectionService.IsSameClient(Issuer, ClientId, issuer, clientId);
}

/// <summary>Everything the OIDC handler needs for one team, with the secret decrypted.</summary>
public sealed record SsoRuntimeConnection(Guid TeamId, string TeamSlug, string Issuer, string ClientId, string? ClientSecret, string[] Scopes, string UniqueIdClaim, int Version);

public sealed class SsoConnectionService(
    IDbContextFactory<AdminDbContext> dbFactory,
    IDataProtectionProvider dataProtection,
    DiscoveryVerifier verifier,
    TimeProvider clock)
{
    private readonly IDataProtector protector = dataProtection.CreateProtector("Catalytic.Admin.OidcClientSecret.v1");

    public async Task<SsoConnectionView?> GetAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var c = await db.SsoConnections.AsNoTracking().FirstOrDefaultAsync(x => x.TeamId == teamId, ct);
        return c is null ? null : new SsoConnectionView(c.Issuer, c.ClientId, c.ProtectedClientSecret is not null, c.Scopes, c.UniqueIdClaim, c.VerifiedAt, c.LastTestSignInAt, c.LastTestSignInSubject);
    }

    /// <summary>
    /// Validates the input, verifies the issuer's discovery document, then saves. On any failure nothing is
    /// saved and the errors are returned by field.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> SaveAsync(Guid teamId, SsoConnectionInput input, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string>();
        var issuer = input.Issuer?.Trim() ?? "";
        var clientId = input.ClientId?.Trim() ?? "";
        var claim = string.IsNullOrWhiteSpace(input.UniqueIdClaim) ? SsoDefaults.UniqueIdClaim : input.UniqueIdClaim.Trim();
        var scopes = NormalizeScopes(input.Scopes);

        if (DiscoveryVerifier.ValidateIssuerUrl(issuer) is { } issuerError)
        {
            errors["issuer"] = issuerError;
        }

        if (clientId.Length == 0)
        {
            errors["clientId"] = "Client ID is required: copy it from the application you registered in your identity provider.";
        }
        else if (clientId.Length > 512)
        {
            errors["clientId"] = "Client ID is too long (at most 512 characters).";
        }

        if (!scopes.Split(' ').Contains("openid"))
        {
            errors["scopes"] = "Scopes must include 'openid'.";
        }

        if (claim.Length > 128 || claim.Any(char.IsWhiteSpace))
        {
            errors["uniqueIdClaim"] = "The unique identifier claim must be a single claim name, such as preferred_username, email or sub.";
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.SsoConnections.FirstOrDefaultAsync(c => c.TeamId == teamId, ct);
        if (string.IsNullOrEmpty(input.ClientSecret) && existing?.ProtectedClientSecret is null)
        {
            errors["clientSecret"] = "Client secret is required the first time: copy it from your identity provider.";
        }
        else if (string.IsNullOrEmpty(input.ClientSecret) && !IsSameClient(existing!.Issuer, existing.ClientId, issuer, clientId))
        {
            // The saved secret belongs to the old client: kept, it would be sent to whichever issuer was typed.
            errors["clientSecret"] = "Enter the client secret again: the issuer or client ID changed, and the saved secret is sent only to the client it was issued for.";
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        if (await verifier.VerifyAsync(issuer, ct) is { } discoveryError)
        {
            return new Dictionary<string, string> { ["issuer"] = discoveryError };
        }

        // Before the transaction: on a database without a Data Protection key yet (the CLI right after setup; the web
        // host makes one at start-up) Protect writes the first key through its own context, which would wait on this
        // transaction's write lock until the busy timeout.
        var protectedSecret = string.IsNullOrEmpty(input.ClientSecret) ? null : protector.Protect(input.ClientSecret);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (existing is null)
        {
            existing = new SsoConnection { TeamId = teamId, Issuer = issuer, ClientId = clientId };
            db.SsoConnections.Add(existing);
        }
        else
        {
            existing.Version++;
            if (!IsSameClient(existing.Issuer, existing.ClientId, issuer, clientId))
            {
                // A different provider: the last test sign-in says nothing about it, and its subjects are not the
                // ones members are bound to.
                existing.LastTestSignInAt = null;
                existing.LastTestSignInSubject = null;
                await UserDirectory.ForgetSsoBindingsAsync(db, teamId, now, ct);
            }
        }

        existing.Issuer = issuer;
        existing.ClientId = clientId;
        existing.Scopes = scopes;
        existing.UniqueIdClaim = claim;
        existing.VerifiedAt = now;
        existing.UpdatedAt = now;
        if (protectedSecret is not null)
        {
            existing.ProtectedClientSecret = protectedSecret;
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return errors;
    }

    /// <summary>
    /// The same issuer (a trailing '/' aside) and client ID: the one rule for keeping a saved secret, and for keeping
    /// the members' bindings (another client counts as another provider: some, such as Entra ID, give each
    /// application its own subjects). The SSO Settings page warns before either is lost.
    /// </summary>
    public static bool IsSameClient(string savedIssuer, string savedClientId, string? issuer, string? clientId) =>
        string.Equals(savedIssuer.TrimEnd('/'), issuer?.Trim().TrimEnd('/'), StringComparison.Ordinal)
        && string.Equals(savedClientId, clientId?.Trim(), StringComparison.Ordinal);

    /// <summary>
    /// Removes the connection; SCIM is turned off in the same transaction (members could not sign in), and the members'
    /// bindings to the provider are forgotten (a provider connected later binds them again).
    /// </summary>
    public async Task RemoveAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SsoConnections.Where(c => c.TeamId == teamId).ExecuteDeleteAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await UserDirectory.ForgetSsoBindingsAsync(db, teamId, now, ct);
        await db.ScimSettings.Where(s => s.TeamId == teamId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Enabled, false).SetProperty(x => x.UpdatedAt, now), ct);
        await transaction.CommitAsync(ct);
    }

    public async Task RecordTestSignInAsync(Guid teamId, string subject, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var shortened = subject.Length > 256 ? subject[..256] : subject;
        await db.SsoConnections.Where(c => c.TeamId == teamId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastTestSignInAt, now).SetProperty(c => c.LastTestSignInSubject, shortened), ct);
    }

    /// <summary>The verified connection of a team, for the OIDC handler. Synchronous: options are built synchronously.</summary>
    public SsoRuntimeConnection? GetRuntimeConnection(Guid teamId)
    {
        using var db = dbFactory.CreateDbContext();
        var row = db.SsoConnections.AsNoTracking()
            .Where(c => c.TeamId == teamId && c.VerifiedAt != null)
            .Join(db.Teams, c => c.TeamId, t => t.Id, (c, t) => new { c, t.Slug })
            .FirstOrDefault();
        return row is null ? null : ToRuntime(row.c, row.Slug);
    }

    public async Task<SsoRuntimeConnection?> GetRuntimeConnectionAsync(string teamSlug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.SsoConnections.AsNoTracking()
            .Join(db.Teams, c => c.TeamId, t => t.Id, (c, t) => new { c, t.Slug })
            .FirstOrDefaultAsync(x => x.Slug == teamSlug && x.c.VerifiedAt != null, ct);
        return row is null ? null : ToRuntime(row.c, row.Slug);
    }

    private SsoRuntimeConnection ToRuntime(SsoConnection c, string slug) => new(
        c.TeamId,
        slug,
        c.Issuer,
        c.ClientId,
        c.ProtectedClientSecret is null ? null : protector.Unprotect(c.ProtectedClientSecret),
        c.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        c.UniqueIdClaim,
        c.Version);

    private static string NormalizeScopes(string? scopes)
    {
        var list = (scopes ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        return list.Count == 0 ? SsoDefaults.Scopes : string.Join(' ', list);
    }
}
