using System.Data.Common;
using Catalytic.Admin.Data;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Users;

/// <summary>Why an SSO sign-in lands on no account. Each has its own page; none says which accounts exist.</summary>
public enum SsoSignInRefusal
{
    /// <summary>No account for this person (or only a local password account by that name, which SSO never signs in).</summary>
    NotProvisioned,

    Deactivated,

    /// <summary>The account the user-name claim names is bound to another subject at the identity provider.</summary>
    AccountLinkedElsewhere,

    /// <summary>This subject is already bound to another account (a racing first sign-in won).</summary>
    SubjectLinkedElsewhere,

    /// <summary>The identity provider sent no usable <c>sub</c>.</summary>
    NoSubject,
}

public readonly record struct SsoSignInResult(User? User, SsoSignInRefusal? Refusal)
{
    public static implicit operator SsoSignInResult(User user) => new(user, null);

    public static implicit operator SsoSignInResult(SsoSignInRefusal refusal) => new(null, refusal);
}

/// <summary>
/// Which account an SSO sign-in lands on. The IdP's subject (<c>iss</c> + <c>sub</c>) is bound to the account on its
/// first sign-in and decides every later one: a user-name claim (which SCIM and the IdP can change) only ever picks an
/// account that has no binding yet. Local password accounts are never signed in by SSO.
/// </summary>
public sealed partial class UserDirectory
{
    private const int SsoSubjectMaxLength = 256;
    private const int SsoIssuerMaxLength = 512;

    /// <summary>
    /// Matches a validated SSO sign-in to an account: by its binding first; else, for an account without one, by
    /// <paramref name="userName"/> (the team's unique-identifier claim), binding it to the subject there and then.
    /// </summary>
    public async Task<SsoSignInResult> SignInWithSsoAsync(Guid teamId, string issuer, string? subject, string? userName, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(subject) || subject.Length > SsoSubjectMaxLength || string.IsNullOrEmpty(issuer) || issuer.Length > SsoIssuerMaxLength)
        {
            return SsoSignInRefusal.NoSubject;
        }

        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var bound = await db.Users.AsNoTracking()
                .FirstOrDefaultAsync(u => u.TeamId == teamId && u.SsoIssuer == issuer && u.SsoSubject == subject, ct);
            if (bound is not null)
            {
                return bound.PasswordHash is not null ? SsoSignInRefusal.NotProvisioned
                    : !bound.Active ? SsoSignInRefusal.Deactivated
                    : bound;
            }

            // Only a name that is a valid userName can name an account: upper-casing would fold look-alikes such as
            // a dotless 'ı' or a long 'ſ' onto an ASCII account's name.
            if (string.IsNullOrWhiteSpace(userName) || UserRules.ValidateUserName(userName.Trim()) is not null)
            {
                return SsoSignInRefusal.NotProvisioned;
            }

            var normalized = UserRules.Normalize(userName);
            var named = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.TeamId == teamId && u.NormalizedUserName == normalized, ct);
            if (named is null || named.PasswordHash is not null)
            {
                return SsoSignInRefusal.NotProvisioned;
            }

            if (named.SsoSubject is not null)
            {
                return SsoSignInRefusal.AccountLinkedElsewhere;
            }

            if (!named.Active)
            {
                return SsoSignInRefusal.Deactivated;
            }

            if (await TryBindSsoSubjectAsync(named, issuer, subject, ct) is { } outcome)
            {
                return outcome;
            }

            // The account changed between the read and the write: decide again on what it is now.
            if (attempt == MaxConcurrencyRetries)
            {
                return SsoSignInRefusal.NotProvisioned;
            }
        }
    }

    /// <summary>
    /// Binds <paramref name="read"/> to the subject, only while what was read still holds: unbound, not local, active,
    /// still that name. Null when the account changed since. The version bump makes a SCIM write that read the row
    /// before this one retry instead of writing the binding back to null.
    /// </summary>
    internal async Task<SsoSignInResult?> TryBindSsoSubjectAsync(User read, string issuer, string subject, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        int written;
        try
        {
            written = await db.Users
                .Where(u => u.TeamId == read.TeamId && u.Id == read.Id && u.SsoSubject == null && u.PasswordHash == null
                    && u.Active && u.NormalizedUserName == read.NormalizedUserName)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(u => u.SsoIssuer, issuer)
                        .SetProperty(u => u.SsoSubject, subject)
                        .SetProperty(u => u.Version, u => u.Version + 1)
                        .SetProperty(u => u.UpdatedAt, now),
                    ct);
        }
        catch (DbException e) when (IsUniqueViolation(new DbUpdateException(e.Message, e)))
        {
            // ExecuteUpdate throws the provider's exception; the index on (team, issuer, subject) refused it.
            return SsoSignInRefusal.SubjectLinkedElsewhere;
        }

        if (written == 0)
        {
            return null;
        }

        notifier.Publish(new UserChange(read.TeamId, read.Id, UserChangeKind.Updated));
        return await reads.FindUserAsync(read.TeamId, read.Id, ct) is { } bound ? bound : SsoSignInRefusal.NotProvisioned;
    }

    /// <summary>
    /// Removes the account's binding (an admin's action, e.g. after the person's IdP account was recreated): the next
    /// SSO sign-in whose user-name claim names the account binds it again.
    /// </summary>
    public async Task<UserError?> UnlinkSsoIdentityAsync(Guid teamId, Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var written = await ForgetSsoBindings(db.Users.Where(u => u.TeamId == teamId && u.Id == userId && u.SsoSubject != null), now, ct);
        if (written == 0)
        {
            // Not bound (any more): nothing to do, unless the account is gone.
            return await db.Users.AnyAsync(u => u.TeamId == teamId && u.Id == userId, ct) ? null : NotFound(userId);
        }

        notifier.Publish(new UserChange(teamId, userId, UserChangeKind.Updated));
        return null;
    }

    /// <summary>
    /// Forgets every binding of the team, in the caller's transaction: the SSO connection now points at another
    /// provider (or client), whose subjects are not the old ones. Members are bound again on their next sign-in.
    /// </summary>
    internal static Task<int> ForgetSsoBindingsAsync(AdminDbContext db, Guid teamId, DateTime now, CancellationToken ct) =>
        ForgetSsoBindings(db.Users.Where(u => u.TeamId == teamId && u.SsoSubject != null), now, ct);

    // The version bump keeps a SCIM write that read the row before from writing the old binding back.
    private static Task<int> ForgetSsoBindings(IQueryable<User> users, DateTime now, CancellationToken ct) =>
        users.ExecuteUpdateAsync(
            s => s.SetProperty(u => u.SsoIssuer, (string?)null)
                .SetProperty(u => u.SsoSubject, (string?)null)
                .SetProperty(u => u.Version, u => u.Version + 1)
                .SetProperty(u => u.UpdatedAt, now),
            ct);
}
