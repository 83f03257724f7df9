using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Users;

public sealed record UserCounts(int Active, int Deactivated, int ProvisionedSince);

/// <summary>The admin pages' reads: search and counts that stay index-backed at 100,000 users.</summary>
public sealed partial class UserDirectory
{
    /// <summary>Longer search text cannot match anything (no stored value is longer), so it is cut here.</summary>
    public const int SearchMaxLength = 256;

    // externalId is not unique; an exact value shared by more accounts than this is not a search anyone means.
    private const int MaxExternalIdMatches = 100;

    private bool? rangeSearch;

    /// <summary>
    /// A page of the team's users whose userName or email starts with <paramref name="text"/> (case-insensitive),
    /// or whose externalId equals it. Blank text lists everyone. The cost follows the number of matches, not the
    /// size of the team: each kind of match is an index range or an equality on an index that starts with the team.
    /// </summary>
    public async Task<UserPage> SearchAsync(
        Guid teamId,
        string? text,
        UserSort sort,
        bool descending,
        int skip,
        int take,
        CancellationToken ct = default)
    {
        skip = Math.Max(0, skip);
        var term = text?.Trim() ?? "";
        if (term.Length > SearchMaxLength)
        {
            term = term[..SearchMaxLength];
        }

        if (term.Length == 0)
        {
            return await ListAsync(teamId, null, skip, take, sort, descending, ct);
        }

        var low = UserRules.Normalize(term);
        if (!await CanSearchByRangeAsync(ct) || PrefixUpperBound(low) is not { } high)
        {
            return await ListAsync(teamId, StartsWithFilter(term), skip, take, sort, descending, ct);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Looked up first, on its own index: inside the union SQLite would rather walk the sort order's index.
        var byExternalId = await db.Users.Where(u => u.TeamId == teamId && u.ExternalId == term)
            .Select(u => u.Id).Take(MaxExternalIdMatches).ToListAsync(ct);
        var matches = RangeMatches(db.Users.AsNoTracking(), teamId, byExternalId, low, high);
        var total = await matches.CountAsync(ct);
        if (take <= 0 || skip >= total)
        {
            return new UserPage(total, []);
        }

        var page = await Order(matches, sort, descending).Skip(skip).Take(take).ToListAsync(ct);
        return new UserPage(total, page);
    }

    /// <summary>Active and deactivated accounts, and accounts the IdP created since <paramref name="since"/>.</summary>
    public async Task<UserCounts> CountsAsync(Guid teamId, DateTime since, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var byStatus = await db.Users.Where(u => u.TeamId == teamId)
            .GroupBy(u => u.Active)
            .Select(g => new { Active = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        var provisioned = await db.Users.CountAsync(u => u.TeamId == teamId && u.CreatedAt >= since && u.Source == UserSource.Idp, ct);
        return new UserCounts(
            byStatus.Where(c => c.Active).Sum(c => c.Count),
            byStatus.Where(c => !c.Active).Sum(c => c.Count),
            provisioned);
    }

    /// <summary>
    /// The smallest string greater than every string that starts with <paramref name="prefix"/>, in code-point
    /// order (SQLite's binary collation over UTF-8); null when the last character cannot simply be incremented.
    /// </summary>
    internal static string? PrefixUpperBound(string prefix)
    {
        if (prefix.Length == 0)
        {
            return null;
        }

        var last = prefix[^1];
        if (char.IsSurrogate(last) || last == '\uD7FF' || last == char.MaxValue)
        {
            return null;
        }

        return string.Concat(prefix.AsSpan(0, prefix.Length - 1), new string((char)(last + 1), 1));
    }

    /// <summary>
    /// The kinds of match as separate queries glued with UNION ALL, each leaving out the rows an earlier one found.
    /// An OR of them would be simpler, but without table statistics SQLite answers an OR by reading every user of
    /// the team; each part on its own can only be answered from its index.
    /// </summary>
    private static IQueryable<User> RangeMatches(IQueryable<User> users, Guid teamId, List<Guid> byExternalId, string low, string high)
    {
        var byUserName = users.Where(u => u.TeamId == teamId
            && string.Compare(u.NormalizedUserName, low) >= 0 && string.Compare(u.NormalizedUserName, high) < 0);
        var byEmail = users.Where(u => u.TeamId == teamId
            && string.Compare(u.NormalizedEmail, low) >= 0 && string.Compare(u.NormalizedEmail, high) < 0
            && !(string.Compare(u.NormalizedUserName, low) >= 0 && string.Compare(u.NormalizedUserName, high) < 0));
        var matches = byUserName.Concat(byEmail);
        if (byExternalId.Count > 0)
        {
            matches = matches.Concat(users.Where(u => u.TeamId == teamId && byExternalId.Contains(u.Id)
                && !(string.Compare(u.NormalizedUserName, low) >= 0 && string.Compare(u.NormalizedUserName, high) < 0)
                && (u.NormalizedEmail == null || !(string.Compare(u.NormalizedEmail, low) >= 0 && string.Compare(u.NormalizedEmail, high) < 0))));
        }

        return matches;
    }

    // The portable form: correct everywhere; whether an index serves it depends on the provider's collation.
    private static Expression<Func<User, bool>> StartsWithFilter(string term)
    {
        var normalized = UserRules.Normalize(term);
        return u => u.NormalizedUserName.StartsWith(normalized)
            || (u.NormalizedEmail != null && u.NormalizedEmail.StartsWith(normalized))
            || u.ExternalId == term;
    }

    // Range comparisons equal prefix matching only under a binary collation: SQLite's default, not PostgreSQL's.
    private async Task<bool> CanSearchByRangeAsync(CancellationToken ct)
    {
        if (rangeSearch is { } known)
        {
            return known;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        rangeSearch = db.Database.IsSqlite();
        return rangeSearch.Value;
    }
}
