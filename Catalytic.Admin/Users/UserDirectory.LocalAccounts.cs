using System.Linq.Expressions;
using Catalytic.Admin.Teams;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Users;

/// <summary>
/// Local (break-glass) accounts and the team's last admin. A local account is outside SCIM: an IdP can neither
/// list, read, change nor delete it, so a SCIM token cannot rename it into someone's SSO identity. Every SCIM
/// read goes through the IdP's view below; the IdP's writes are refused in <see cref="ChangeAsync"/> and
/// <see cref="DeleteAsync"/>. The CLI's recovery commands live here too, so an operator can always get back in.
/// </summary>
public sealed partial class UserDirectory
{
    /// <summary>
    /// The one definition of what an IdP sees: every account but the local ones. (The SQLite listing's fast path
    /// says the same in SQL: see SqliteHotPathReads and the migration ScimCountsExcludeLocalAccounts.)
    /// </summary>
    private static readonly Expression<Func<User, bool>> VisibleToIdp = u => u.PasswordHash == null;

    private static readonly Func<User, bool> IsVisibleToIdpCompiled = VisibleToIdp.Compile();

    public static bool IsVisibleToIdp(User user) => IsVisibleToIdpCompiled(user);

    /// <summary>The user as SCIM sees it: null when missing or a local account, alike.</summary>
    public async Task<User?> FindForIdpAsync(Guid teamId, Guid userId, CancellationToken ct = default) =>
        await FindAsync(teamId, userId, ct) is { } user && IsVisibleToIdp(user) ? user : null;

    public async Task<User?> FindByUserNameForIdpAsync(Guid teamId, string userName, CancellationToken ct = default) =>
        await FindByUserNameAsync(teamId, userName, ct) is { } user && IsVisibleToIdp(user) ? user : null;

    /// <summary>A page of the accounts an IdP sees (no local account, in the page or in the total).</summary>
    public Task<UserPage> ListForIdpAsync(
        Guid teamId,
        Expression<Func<User, bool>>? filter,
        int skip,
        int take,
        UserSort sort = UserSort.Created,
        bool descending = false,
        CancellationToken ct = default) =>
        ListAsync(teamId, filter, idpView: true, skip, take, sort, descending, ct);

    /// <summary>
    /// Whether the user is the team's only active admin, for the pages to leave out the actions that would be
    /// refused. Only a hint: the rule itself is decided inside each write.
    /// </summary>
    public async Task<bool> IsLastActiveAdminAsync(Guid teamId, Guid userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var admins = await db.Users.Where(u => u.TeamId == teamId && u.IsAdmin && u.Active).Select(u => u.Id).Take(2).ToListAsync(ct);
        return admins is [var only] && only == userId;
    }

    /// <summary>Reactivates the account (CLI recovery, which also lifts the password lockout on its name).</summary>
    public async Task<UserResult> ReactivateAsync(Guid teamId, string userName, CancellationToken ct = default)
    {
        if (await FindByUserNameAsync(teamId, userName, ct) is not { } user)
        {
            return NoSuchUserName(userName);
        }

        return await RecoverAsync(user, u =>
        {
            u.Active = true;
            return null;
        }, ct);
    }

    /// <summary>
    /// Sets a new password for a local account and reactivates it (CLI recovery, which also lifts the lockout and ends the sessions). SSO accounts have
    /// no password and are refused: their sign-in belongs to the IdP.
    /// </summary>
    public async Task<UserResult> ResetLocalPasswordAsync(Guid teamId, string userName, string password, CancellationToken ct = default)
    {
        if (TeamRules.ValidatePassword(password) is { } weak)
        {
            return new UserError(UserErrorKind.InvalidValue, weak, "password");
        }

        if (await FindByUserNameAsync(teamId, userName, ct) is not { } user)
        {
            return NoSuchUserName(userName);
        }

        return await RecoverAsync(user, u =>
        {
            if (!u.IsLocal)
            {
                return new UserError(
                    UserErrorKind.NotAllowed,
                    $"'{u.UserName}' is not a local account: it signs in with SSO and has no password here. " +
                    "Reset the person's password in the identity provider, or use 'admin user reactivate' if the account is deactivated.");
            }

            u.PasswordHash = Hasher.HashPassword(u, password);
            u.Active = true;
            return null;
        }, ct);
    }

    private async Task<UserResult> RecoverAsync(User found, Func<User, UserError?> change, CancellationToken ct)
    {
        return await ChangeAsync(found.TeamId, found.Id, UserSource.Admin, null, null, change, ct);
    }

    private static UserError NoSuchUserName(string userName) =>
        new(UserErrorKind.NotFound, $"No user with the userName '{userName.Trim()}' in this team.");
}
