using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Users;

public sealed record UserCounts(int Active, int Deactivated, int ProvisionedSince);

/// <summary>The admin pages' reads: search and counts that stay index-backed at 100,000 users.</summary>
public sealed partial class UserDirectory
{
    /// <summary>Longer search text cannot match anything (no stored value is longer), so it is cut here.</summary>
    public const int SearchMaxLength = 256;

    private bool? rangeSearch;

    /// <summary>
    /// A page of the team's users whose userName or email starts with <paramref name="text"/> (case-insensitive),
    /// or whose externalId equals it. Blank text lists everyone. Each branch is a range or an equality on an
    /// index that starts with the team, so the cost follows the number of matches, not the size of the team.
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
        var term = text?.Trim() ?? "";
        if (term.Length > SearchMaxLength)
        {
            term = term[..SearchMaxLength];
        }

        if (term.Length == 0)
        {
            return await ListAsync(teamId, null, Math.Max(0, skip), take, sort, descending, ct);
        }

        var filter = await CanSearchByRangeAsync(ct) ? RangeFilter(teamId, term) : StartsWithFilter(term);
        return await ListAsync(teamId, filter, Math.Max(0, skip), take, sort, descending, ct);
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

    private static Expression<Func<User, bool>> RangeFilter(Guid teamId, string term)
    {
        var low = UserRules.Normalize(term);
        if (PrefixUpperBound(low) is not { } high)
        {
            return StartsWithFilter(term);
        }

        // The team id is repeated inside each branch so that SQLite can answer the OR with one index per branch.
        return u =>
            (u.TeamId == teamId && string.Compare(u.NormalizedUserName, low) >= 0 && string.Compare(u.NormalizedUserName, high) < 0)
            || (u.TeamId == teamId && string.Compare(u.NormalizedEmail, low) >= 0 && string.Compare(u.NormalizedEmail, high) < 0)
            || (u.TeamId == teamId && u.ExternalId == term);
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
