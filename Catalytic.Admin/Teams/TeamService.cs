using Catalytic.Admin.Data;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Teams;

public sealed record TeamSetup(string Slug, string Name, string AdminUserName, string AdminPassword);

public sealed class TeamService(IDbContextFactory<AdminDbContext> dbFactory, UserDirectory users, TimeProvider clock)
{
    public async Task<bool> AnyTeamAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AnyAsync(ct);
    }

    public async Task<Team?> FindBySlugAsync(string slug, CancellationToken ct = default)
    {
        var normalized = slug.Trim().ToLowerInvariant();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Slug == normalized, ct);
    }

    public async Task<Team?> FindAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Id == teamId, ct);
    }

    public async Task<IReadOnlyList<Team>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Teams.AsNoTracking().OrderBy(t => t.Slug).ToListAsync(ct);
    }

    /// <summary>
    /// Creates a team and its first local admin. With <paramref name="onlyIfNoTeam"/> (the first-run page)
    /// it refuses once any team exists. Either both are saved or neither is.
    /// </summary>
    public async Task<(Team? Team, IReadOnlyDictionary<string, string> Errors)> CreateAsync(TeamSetup setup, bool onlyIfNoTeam, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string>();
        var slug = setup.Slug?.Trim().ToLowerInvariant() ?? "";
        AddIf(errors, "slug", TeamRules.ValidateSlug(slug));
        AddIf(errors, "name", TeamRules.ValidateName(setup.Name));
        AddIf(errors, "adminUserName", UserRules.ValidateUserName(setup.AdminUserName));
        AddIf(errors, "adminPassword", TeamRules.ValidatePassword(setup.AdminPassword));
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (onlyIfNoTeam && await db.Teams.AnyAsync(ct))
        {
            return (null, new Dictionary<string, string> { ["setup"] = "Setup is already complete: a team exists. Sign in instead." });
        }

        if (await db.Teams.AnyAsync(t => t.Slug == slug, ct))
        {
            return (null, new Dictionary<string, string> { ["slug"] = $"A team with the URL name '{slug}' already exists." });
        }

        var team = new Team { Slug = slug, Name = setup.Name.Trim(), CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Teams.Add(team);
        db.ScimSettings.Add(new Scim.ScimSettings { TeamId = team.Id, UpdatedAt = team.CreatedAt });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);

        var admin = await users.CreateLocalAdminAsync(team.Id, setup.AdminUserName.Trim(), setup.AdminPassword, ct);
        if (admin.Error is not null)
        {
            // Keep "nothing saved half-way": a team without its admin would lock the operator out.
            await db.Teams.Where(t => t.Id == team.Id).ExecuteDeleteAsync(ct);
            return (null, new Dictionary<string, string> { ["adminUserName"] = admin.Error.Detail });
        }

        return (team, errors);
    }

    private static void AddIf(Dictionary<string, string> errors, string key, string? error)
    {
        if (error is not null)
        {
            errors[key] = error;
        }
    }
}
