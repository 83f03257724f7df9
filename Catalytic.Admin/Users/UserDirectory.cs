using System.Linq.Expressions;
using Catalytic.Admin.Data;
using Catalytic.Admin.Provisioning;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Catalytic.Admin.Users;

public enum UserSort
{
    Created,
    UserName,
    Email,
    DisplayName,
    GivenName,
    FamilyName,
    ExternalId,
    LastModified,
}

public sealed record UserPage(int TotalResults, IReadOnlyList<User> Users);

/// <summary>
/// The team's user directory: the only place that writes users, and so the only place that holds the
/// rules (alphanumeric userName, case-insensitive uniqueness of userName and email, the stored attributes).
/// SCIM handlers and admin pages both call it. One DbContext per operation, so it is safe in a Blazor
/// circuit and in a request alike.
/// </summary>
public sealed partial class UserDirectory(
    IDbContextFactory<AdminDbContext> dbFactory,
    IHotPathReads reads,
    GroupCommit writes,
    UserChangeNotifier notifier,
    TimeProvider clock)
{
    // Writes to one user take turns in this process, so a stale version means another instance wrote it: read
    // again and retry. Bounded only as a guard against a livelock; each round re-reads the user.
    private const int MaxConcurrencyRetries = 64;
    private readonly UserWriteTurns turns = new();
    private static readonly PasswordHasher<User> Hasher = new();

    public Task<User?> FindAsync(Guid teamId, Guid userId, CancellationToken ct = default) =>
        reads.FindUserAsync(teamId, userId, ct);

    public Task<User?> FindByUserNameAsync(Guid teamId, string userName, CancellationToken ct = default) =>
        reads.FindUserByNormalizedNameAsync(teamId, UserRules.Normalize(userName), ct);

    /// <summary>A page of all the team's users (local accounts included) matching <paramref name="filter"/>, in a stable order.</summary>
    public Task<UserPage> ListAsync(
        Guid teamId,
        Expression<Func<User, bool>>? filter,
        int skip,
        int take,
        UserSort sort = UserSort.Created,
        bool descending = false,
        CancellationToken ct = default) =>
        ListAsync(teamId, filter, idpView: false, skip, take, sort, descending, ct);

    private async Task<UserPage> ListAsync(
        Guid teamId,
        Expression<Func<User, bool>>? filter,
        bool idpView,
        int skip,
        int take,
        UserSort sort,
        bool descending,
        CancellationToken ct)
    {
        // The fast path's counts and pages are the IdP's view (see the SQLite migration ScimCountsExcludeLocalAccounts).
        if (idpView && filter is null && sort == UserSort.Created && !descending
            && await reads.ListUsersByCreatedAsync(teamId, skip, take, ct) is { } all)
        {
            return all; // an IdP's import: page after page of everyone
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Users.AsNoTracking().Where(u => u.TeamId == teamId);
        if (idpView)
        {
            query = query.Where(VisibleToIdp);
        }

        if (filter is not null)
        {
            query = query.Where(filter);
        }

        if (take <= 0)
        {
            return new UserPage(await query.CountAsync(ct), []);
        }

        // Page first: a short page that starts at the beginning or holds rows already gives the total,
        // which saves the count query on the IdPs' usual lookup (userName eq "x": zero or one row).
        var page = await Order(query, sort, descending).Skip(skip).Take(take).ToListAsync(ct);
        var total = page.Count < take && (page.Count > 0 || skip == 0) ? skip + page.Count : await query.CountAsync(ct);
        return new UserPage(total, page);
    }

    public Task<UserResult> CreateAsync(Guid teamId, UserProfile profile, UserSource source, CancellationToken ct = default) =>
        CreateAsync(teamId, profile, source, localPassword: null, activity: null, ct);

    /// <summary>
    /// Creates the user. A SCIM request passes its <paramref name="activity"/>, whose entry is committed in the same
    /// transaction as the user (as in <see cref="UpdateAsync"/> and <see cref="DeleteAsync"/>); the admin pages pass none.
    /// </summary>
    public Task<UserResult> CreateAsync(Guid teamId, UserProfile profile, UserSource source, IWriteActivity? activity, CancellationToken ct = default) =>
        CreateAsync(teamId, profile, source, localPassword: null, activity, ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the user's current profile and saves the result under every rule.
    /// A write by the IdP marks the account as IdP-managed (this is how an admin-created account is associated);
    /// the IdP cannot change a local account (<see cref="IsVisibleToIdp"/>): for it, that account does not exist.
    /// </summary>
    public Task<UserResult> UpdateAsync(
        Guid teamId,
        Guid userId,
        Func<UserProfile, UserResult<UserProfile>> change,
        UserSource changedBy,
        int? expectedVersion = null,
        IWriteActivity? activity = null,
        CancellationToken ct = default) =>
        ChangeAsync(teamId, userId, changedBy, expectedVersion, activity, user =>
        {
            var changed = change(UserProfile.From(user));
            if (changed.Error is not null)
            {
                return changed.Error;
            }

            var profile = changed.Value!;
            if (Validate(profile) is { } invalid)
            {
                return invalid;
            }

            // An unbound account is matched by userName on its first SSO sign-in: an IdP renaming an admin who never
            // signed in would hand that admin account to whoever the new name belongs to.
            if (changedBy == UserSource.Idp && user.IsAdmin && user.SsoSubject is null
                && UserRules.Normalize(profile.UserName) != user.NormalizedUserName)
            {
                return new UserError(
                    UserErrorKind.NotAllowed,
                    $"'{user.UserName}' is a team admin who has not signed in with SSO yet, so the identity provider cannot change its userName. " +
                    "Keep the userName until the admin has signed in once, or have an admin of the team rename the account in Catalytic.Admin.");
            }

            Apply(user, profile);
            if (changedBy == UserSource.Idp)
            {
                user.Source = UserSource.Idp;
            }

            return null;
        }, ct);

    public Task<UserResult> ReplaceAsync(Guid teamId, Guid userId, UserProfile profile, UserSource changedBy, int? expectedVersion = null, CancellationToken ct = default) =>
        UpdateAsync(teamId, userId, _ => profile, changedBy, expectedVersion, ct: ct);

    public Task<UserResult> SetActiveAsync(Guid teamId, Guid userId, bool active, UserSource changedBy, CancellationToken ct = default) =>
        UpdateAsync(teamId, userId, p => p with { Active = active }, changedBy, null, ct: ct);

    /// <summary>
    /// Deletes the user; refused for the team's last active admin, and by the IdP for a local account (not found). A
    /// change that lands between the read and the delete sends it round again (a deprovisioning must not be lost to
    /// a concurrent PATCH): 404 only when the user really is gone, 412 only for the client's own If-Match.
    /// </summary>
    public async Task<UserError?> DeleteAsync(
        Guid teamId, Guid userId, int? expectedVersion = null, UserSource deletedBy = UserSource.Admin, IWriteActivity? activity = null, CancellationToken ct = default)
    {
        using var turn = await turns.EnterAsync(userId, ct);
        for (var attempt = 1; ; attempt++)
        {
            var user = await reads.FindUserAsync(teamId, userId, ct);
            if (user is null || (deletedBy == UserSource.Idp && !IsVisibleToIdp(user)))
            {
                return NotFound(userId);
            }

            if (expectedVersion is not null && expectedVersion != user.Version)
            {
                return VersionMismatch(user);
            }

            try
            {
                await writes.DeleteAsync(user, mustLeaveAnAdmin: IsActiveAdmin(user), activity?.EntryFor(user), ct);
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxConcurrencyRetries)
            {
                continue; // changed (or deleted) since it was read: read it again
            }
            catch (LastAdminException)
            {
                return LastAdmin(user, "deleted");
            }

            activity?.Saved();
            notifier.Publish(new UserChange(teamId, userId, UserChangeKind.Deleted));
            return null;
        }
    }

    public Task<UserResult> SetAdminAsync(Guid teamId, Guid userId, bool isAdmin, CancellationToken ct = default) =>
        ChangeAsync(teamId, userId, UserSource.Admin, null, null, user =>
        {
            user.IsAdmin = isAdmin;
            return null;
        }, ct);

    /// <summary>
    /// Creates a break-glass admin who signs in with a password (first run, CLI). One write: the account is a local
    /// one from its first moment, so an IdP never sees it, not even briefly as an ordinary account.
    /// </summary>
    public Task<UserResult> CreateLocalAdminAsync(Guid teamId, string userName, string password, CancellationToken ct = default) =>
        CreateAsync(teamId, new UserProfile { UserName = userName, DisplayName = userName }, UserSource.Admin, password, activity: null, ct);

    /// <summary>Checks a local admin's password. Unknown users and users without a password fail alike.</summary>
    public async Task<User?> VerifyPasswordAsync(Guid teamId, string userName, string password, CancellationToken ct = default)
    {
        var user = await FindByUserNameAsync(teamId, userName, ct);
        if (user?.PasswordHash is null || !user.Active)
        {
            // Same work as a real check, so timing does not tell which user names exist.
            Hasher.VerifyHashedPassword(new User { UserName = "x" }, DummyHash, password);
            return null;
        }

        return Hasher.VerifyHashedPassword(user, user.PasswordHash, password) == PasswordVerificationResult.Failed ? null : user;
    }

    public async Task RecordSignInAsync(Guid teamId, Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Users.Where(u => u.TeamId == teamId && u.Id == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastSignInAt, now), ct);
    }

    private async Task<UserResult> CreateAsync(Guid teamId, UserProfile profile, UserSource source, string? localPassword, IWriteActivity? activity, CancellationToken ct)
    {
        if (Validate(profile) is { } invalid)
        {
            return invalid;
        }

        // No look-up before the insert: the unique indexes refuse a taken userName or email, and TrySaveAsync
        // then says which one. That saves two queries on every create an IdP makes.
        var now = Now();
        var user = new User { TeamId = teamId, UserName = profile.UserName, Source = source, CreatedAt = now, UpdatedAt = now };
        Apply(user, profile);
        if (source == UserSource.Idp)
        {
            await ApplyProvisioningDefaultsAsync(user, ct);
        }

        if (localPassword is not null)
        {
            user.IsAdmin = true;
            user.PasswordHash = Hasher.HashPassword(user, localPassword);
        }

        if (await TrySaveAsync(() => writes.AddAsync(user, activity?.EntryFor(user), ct), teamId, profile, user.Id, ct) is { } raced)
        {
            return raced;
        }

        activity?.Saved();
        notifier.Publish(new UserChange(teamId, user.Id, UserChangeKind.Created));
        return user;
    }

    /// <summary>
    /// Reads the user, lets <paramref name="change"/> edit it (or refuse) and saves it if the stored row is still at
    /// the version read; a stale read goes round again. A change that takes away an active admin is saved only if
    /// the team keeps one, decided inside the write (<see cref="LastAdminException"/>), so racing changes cannot
    /// both pass.
    /// </summary>
    private async Task<UserResult> ChangeAsync(
        Guid teamId, Guid userId, UserSource changedBy, int? expectedVersion, IWriteActivity? activity, Func<User, UserError?> change, CancellationToken ct)
    {
        using var turn = await turns.EnterAsync(userId, ct);
        for (var attempt = 1; ; attempt++)
        {
            // Read fresh each attempt (a stale version sends us round again); saved only if still at that version.
            var user = await reads.FindUserAsync(teamId, userId, ct);
            if (user is null || (changedBy == UserSource.Idp && !IsVisibleToIdp(user)))
            {
                return NotFound(userId);
            }

            var readVersion = user.Version;
            if (expectedVersion is not null && expectedVersion != user.Version)
            {
                return VersionMismatch(user);
            }

            var wasActive = user.Active;
            var wasActiveAdmin = IsActiveAdmin(user);
            if (change(user) is { } refused)
            {
                return refused;
            }

            // No look-up for a taken userName or email before saving: as on create, the unique indexes refuse it
            // and TrySaveAsync says which one. Two queries fewer on every PATCH and PUT.
            Touch(user);
            try
            {
                var save = () => writes.UpdateAsync(user, readVersion, wasActiveAdmin && !IsActiveAdmin(user), activity?.EntryFor(user), ct);
                if (await TrySaveAsync(save, teamId, UserProfile.From(user), userId, ct) is { } raced)
                {
                    return raced;
                }
            }
            catch (DbUpdateConcurrencyException) when (expectedVersion is null && attempt < MaxConcurrencyRetries)
            {
                continue;
            }
            catch (DbUpdateConcurrencyException) when (expectedVersion is not null)
            {
                // The client's precondition: the version it sent is no longer the stored one.
                return new UserError(UserErrorKind.VersionMismatch, "The user was changed by someone else at the same time; fetch it again and retry.");
            }
            catch (DbUpdateConcurrencyException)
            {
                // No precondition was sent, so this must not be a 412: the server could not land the change.
                throw new InvalidOperationException($"User {userId} kept changing under {MaxConcurrencyRetries} attempts to save it.");
            }
            catch (LastAdminException)
            {
                return LastAdmin(user, user.Active ? "removed as an admin" : "deactivated");
            }

            activity?.Saved();
            var kind = wasActive && !user.Active ? UserChangeKind.Deactivated : UserChangeKind.Updated;
            notifier.Publish(new UserChange(teamId, userId, kind));
            return user;
        }
    }

    private static readonly string DummyHash = Hasher.HashPassword(new User { UserName = "x" }, Guid.NewGuid().ToString());

    private static UserError? Validate(UserProfile profile)
    {
        var error = UserRules.ValidateUserName(profile.UserName) is { } u ? (Attribute: "userName", Detail: u)
            : UserRules.ValidateEmail(profile.Email) is { } e ? ("emails", e)
            : UserRules.ValidateLength("name.givenName", profile.GivenName, UserRules.NameMaxLength) is { } g ? ("name.givenName", g)
            : UserRules.ValidateLength("name.familyName", profile.FamilyName, UserRules.NameMaxLength) is { } f ? ("name.familyName", f)
            : UserRules.ValidateLength("displayName", profile.DisplayName, UserRules.NameMaxLength) is { } d ? ("displayName", d)
            : UserRules.ValidateLength("phoneNumbers", profile.PrimaryPhone, UserRules.PhoneMaxLength) is { } p ? ("phoneNumbers", p)
            : UserRules.ValidateLength("externalId", profile.ExternalId, UserRules.ExternalIdMaxLength) is { } x ? ("externalId", x)
            : default((string Attribute, string Detail)?);
        return error is { } found ? new UserError(UserErrorKind.InvalidValue, found.Detail, found.Attribute) : null;
    }

    private static void Apply(User user, UserProfile profile)
    {
        user.UserName = profile.UserName.Trim();
        user.NormalizedUserName = UserRules.Normalize(profile.UserName);
        user.Email = Blank(profile.Email);
        user.NormalizedEmail = user.Email is null ? null : UserRules.Normalize(user.Email);
        user.GivenName = Blank(profile.GivenName);
        user.FamilyName = Blank(profile.FamilyName);
        user.DisplayName = Blank(profile.DisplayName);
        user.PrimaryPhone = Blank(profile.PrimaryPhone);
        user.ExternalId = Blank(profile.ExternalId);
        user.Active = profile.Active;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // Whole microseconds, as PostgreSQL stores them: the answer to a write shows the meta.lastModified a later GET reads.
    private DateTime Now()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return now.AddTicks(-(now.Ticks % (TimeSpan.TicksPerMillisecond / 1000)));
    }

    private void Touch(User user)
    {
        user.Version++;
        user.UpdatedAt = Now();
    }

    private async Task ApplyProvisioningDefaultsAsync(User user, CancellationToken ct)
    {
        var defaults = await reads.FindProvisioningDefaultsAsync(user.TeamId, ct) ?? Scim.ProvisioningDefaults.Initial;
        user.EmailNotifications = defaults.EmailNotifications;
        user.WeeklyDigest = defaults.WeeklyDigest;
        user.ShowWelcomeTour = defaults.ShowWelcomeTour;
    }

    private static async Task<UserError?> FindConflictAsync(AdminDbContext db, Guid teamId, UserProfile profile, Guid? exceptUserId, CancellationToken ct)
    {
        var userName = UserRules.Normalize(profile.UserName);
        var holders = await db.Users.Where(u => u.TeamId == teamId && u.NormalizedUserName == userName && u.Id != exceptUserId)
            .Select(u => (bool?)(u.PasswordHash != null)).FirstOrDefaultAsync(ct);
        if (holders is { } local)
        {
            return local ? HeldByLocalAccount("userName", profile.UserName, "userName") : UserNameTaken(profile.UserName);
        }

        if (Blank(profile.Email) is { } email)
        {
            var normalizedEmail = UserRules.Normalize(email);
            var emailHolder = await db.Users.Where(u => u.TeamId == teamId && u.NormalizedEmail == normalizedEmail && u.Id != exceptUserId)
                .Select(u => (bool?)(u.PasswordHash != null)).FirstOrDefaultAsync(ct);
            if (emailHolder is { } localEmail)
            {
                return localEmail ? HeldByLocalAccount("email", email, "emails") : EmailTaken(email);
            }
        }

        return null;
    }

    /// <summary>Saves; when a unique index refuses the write (the value is taken), says which attribute.</summary>
    private async Task<UserError?> TrySaveAsync(Func<Task> save, Guid teamId, UserProfile profile, Guid userId, CancellationToken ct)
    {
        try
        {
            await save();
            return null;
        }
        catch (DbUpdateException e) when (e is not DbUpdateConcurrencyException && IsUniqueViolation(e))
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await FindConflictAsync(db, teamId, profile, userId, ct) ?? UserNameTaken(profile.UserName);
        }
    }

    // Only a unique index's refusal is a conflict; other constraint failures (a foreign key, NOT NULL) stay errors.
    private static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        SqliteException s => s.SqliteExtendedErrorCode == SqliteUniqueConstraint,
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    private const int SqliteUniqueConstraint = 2067;

    private static IQueryable<User> Order(IQueryable<User> query, UserSort sort, bool descending) => (sort, descending) switch
    {
        (UserSort.UserName, false) => query.OrderBy(u => u.NormalizedUserName).ThenBy(u => u.Id),
        (UserSort.UserName, true) => query.OrderByDescending(u => u.NormalizedUserName).ThenByDescending(u => u.Id),
        (UserSort.Email, false) => query.OrderBy(u => u.NormalizedEmail).ThenBy(u => u.Id),
        (UserSort.Email, true) => query.OrderByDescending(u => u.NormalizedEmail).ThenByDescending(u => u.Id),
        (UserSort.DisplayName, false) => query.OrderBy(u => u.DisplayName).ThenBy(u => u.Id),
        (UserSort.DisplayName, true) => query.OrderByDescending(u => u.DisplayName).ThenByDescending(u => u.Id),
        (UserSort.GivenName, false) => query.OrderBy(u => u.GivenName).ThenBy(u => u.Id),
        (UserSort.GivenName, true) => query.OrderByDescending(u => u.GivenName).ThenByDescending(u => u.Id),
        (UserSort.FamilyName, false) => query.OrderBy(u => u.FamilyName).ThenBy(u => u.Id),
        (UserSort.FamilyName, true) => query.OrderByDescending(u => u.FamilyName).ThenByDescending(u => u.Id),
        (UserSort.ExternalId, false) => query.OrderBy(u => u.ExternalId).ThenBy(u => u.Id),
        (UserSort.ExternalId, true) => query.OrderByDescending(u => u.ExternalId).ThenByDescending(u => u.Id),
        (UserSort.LastModified, false) => query.OrderBy(u => u.UpdatedAt).ThenBy(u => u.Id),
        (UserSort.LastModified, true) => query.OrderByDescending(u => u.UpdatedAt).ThenByDescending(u => u.Id),
        (_, false) => query.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id),
        (_, true) => query.OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id),
    };

    private static bool IsActiveAdmin(User user) => user.IsAdmin && user.Active;

    private static UserError NotFound(Guid userId) => new(UserErrorKind.NotFound, $"User '{userId}' does not exist in this team.");

    private static UserError VersionMismatch(User user) =>
        new(UserErrorKind.VersionMismatch, $"The user was changed since the version you sent; its current version is {user.Version}. Fetch it again and retry.");

    private static UserError UserNameTaken(string userName) => new(
        UserErrorKind.Uniqueness,
        $"userName '{userName.Trim()}' already belongs to another account in this team. To link that account, look it up with filter userName eq \"{userName.Trim()}\" and update it, or map a different userName.",
        "userName");

    // The IdP cannot see the holder (local accounts are outside SCIM), so "look it up and update it" would lead nowhere.
    private static UserError HeldByLocalAccount(string name, string value, string attribute) => new(
        UserErrorKind.Uniqueness,
        $"{name} '{value.Trim()}' is held by a local administrator account of this team (a break-glass account that signs in with a password and is outside SCIM). " +
        $"It cannot be linked or changed through SCIM: map a different {name} for this user in the identity provider.",
        attribute);

    private static UserError LastAdmin(User user, string done) => new(
        UserErrorKind.NotAllowed,
        $"'{user.UserName}' is the last active admin of this team and cannot be {done}: a team always keeps one active admin. " +
        "Make another user of the team an admin first (in the admin pages of Catalytic.Admin), then try again.");

    private static UserError EmailTaken(string email) => new(
        UserErrorKind.Uniqueness,
        $"email '{email.Trim()}' already belongs to another account in this team. Each email can be used by one account only; change the email of one of the two accounts.",
        "emails");
}

/// <summary>The outcome of a profile change: the new profile, or why the change cannot be made.</summary>
public readonly record struct UserResult<T>(T? Value, UserError? Error)
{
    public static implicit operator UserResult<T>(T value) => new(value, null);

    public static implicit operator UserResult<T>(UserError error) => new(default, error);
}
