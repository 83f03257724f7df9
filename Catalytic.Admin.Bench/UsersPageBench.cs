using System.Diagnostics;
using System.Linq.Expressions;
using Catalytic.Admin.Data;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Catalytic.Admin.Bench;

public sealed record UsersPageResult(int N, string Operation, string Call, int TotalResults, int Rows, LatencySummary Latency, string DataSource);

/// <summary>
/// The Users page's server time (issue 4): the directory calls the page makes, timed in this process against
/// the app's database file once the app has stopped. What is timed is <see cref="UserDirectory.SearchAsync"/>
/// (count + one page, materialised), not Razor rendering or the SignalR round trip.
/// </summary>
internal static class UsersPageBench
{
    public const int PageSize = 50;
    public const double TargetMs = 150;
    private const int Warmup = 3;

    public static async Task<List<UsersPageResult>> MeasureAsync(
        string databasePath, int n, ExpectedUser[] users, int iterations, string dataSource, Action<string> log, CancellationToken ct)
    {
        log($"  users page: UserDirectory.SearchAsync over {Path.GetFileName(databasePath)} ({iterations} timed calls each)");
        await using var provider = Services(databasePath);
        var directory = provider.GetRequiredService<UserDirectory>();
        var teamId = await TeamIdAsync(provider, ct);

        // A rare term (one user's full userName: one match) and a common one (a first name: a slice of the team),
        // both as prefixes, which is what the page's search matches.
        var rare = users.Length > 0 ? users[users.Length / 2].UserName : "nobody000000";
        var common = users.Length > 0 ? users[0].GivenName : "Ada";
        var total = (await directory.ListAsync(teamId, null, 0, 0, ct: ct)).TotalResults;
        var lastPage = Math.Max(0, total - PageSize);

        // The same calls the Users page makes (UsersPage.razor → UserDirectory.SearchAsync).
        var operations = new (string Operation, string Call, Func<Task<UserPage>> Run)[]
        {
            ("first page", $"SearchAsync(text: null, sort: UserName, skip: 0, take: {PageSize})",
                () => directory.SearchAsync(teamId, null, UserSort.UserName, false, 0, PageSize, ct)),
            ($"search \"{rare}\"", $"SearchAsync(text: \"{rare}\", sort: UserName, take: {PageSize})",
                () => directory.SearchAsync(teamId, rare, UserSort.UserName, false, 0, PageSize, ct)),
            ($"search \"{common}\"", $"SearchAsync(text: \"{common}\", sort: UserName, take: {PageSize})",
                () => directory.SearchAsync(teamId, common, UserSort.UserName, false, 0, PageSize, ct)),
            ("deep page (last)", $"SearchAsync(text: null, sort: UserName, skip: {lastPage}, take: {PageSize})",
                () => directory.SearchAsync(teamId, null, UserSort.UserName, false, lastPage, PageSize, ct)),
        };

        var results = new List<UsersPageResult>();
        foreach (var (operation, call, run) in operations)
        {
            UserPage page = new(0, []);
            for (var i = 0; i < Warmup; i++)
            {
                page = await run();
            }

            var latencies = new LatencyRecorder(iterations);
            for (var i = 0; i < iterations; i++)
            {
                var started = Stopwatch.GetTimestamp();
                page = await run();
                latencies.Add(Stopwatch.GetTimestamp() - started);
            }

            results.Add(new UsersPageResult(n, operation, call, page.TotalResults, page.Users.Count, latencies.Summarize(), dataSource));
        }

        return results;
    }

    /// <summary>
    /// Fills the app's database with <paramref name="users"/> directly (batched inserts with the columns the
    /// directory would write), for when the app has no SCIM Users endpoint to create them through.
    /// </summary>
    public static async Task SeedAsync(string databasePath, ExpectedUser[] users, Action<string> log, CancellationToken ct)
    {
        log($"  users page: seeding {users.Length:N0} users straight into the app's database (no SCIM Users endpoint to create them)");
        await using var provider = Services(databasePath);
        var teamId = await TeamIdAsync(provider, ct);
        var factory = provider.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        var start = DateTime.UtcNow;
        foreach (var batch in users.Chunk(5000))
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.Users.AddRange(batch.Select(u => new User
            {
                TeamId = teamId,
                UserName = u.UserName,
                NormalizedUserName = u.UserName.ToUpperInvariant(),
                Email = u.Email,
                NormalizedEmail = u.Email.ToUpperInvariant(),
                GivenName = u.GivenName,
                FamilyName = u.FamilyName,
                DisplayName = u.DisplayName,
                PrimaryPhone = u.Phone,
                ExternalId = u.ExternalId,
                Source = UserSource.Idp,
                CreatedAt = start.AddTicks(u.Index * 10),
                UpdatedAt = start.AddTicks(u.Index * 10),
            }));
            await db.SaveChangesAsync(ct);
        }
    }

    private static Expression<Func<User, bool>> Search(string term)
    {
        var upper = term.ToUpperInvariant();
        // ToUpper().Contains translates to SQL (upper/instr); the StringComparison overload does not.
#pragma warning disable CA1862
        return u => u.NormalizedUserName.Contains(upper)
            || (u.NormalizedEmail != null && u.NormalizedEmail.Contains(upper))
            || (u.DisplayName != null && u.DisplayName.ToUpper().Contains(upper));
#pragma warning restore CA1862
    }

    private static ServiceProvider Services(string databasePath)
    {
        // The app's own data set-up (provider context, busy timeout, pragmas), so the calls run as they do in the app.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{AppOptions.Section}:Database:Provider"] = "Sqlite",
                [$"{AppOptions.Section}:Database:ConnectionString"] = $"Data Source={databasePath}",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAdminData(configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<UserChangeNotifier>();
        services.AddSingleton<UserDirectory>();
        return services.BuildServiceProvider();
    }

    private static async Task<Guid> TeamIdAsync(IServiceProvider provider, CancellationToken ct)
    {
        await using var db = await provider.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync(ct);
        return await db.Teams.Where(t => t.Slug == Servers.TeamSlug).Select(t => t.Id).SingleAsync(ct);
    }
}
