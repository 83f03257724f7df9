using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Catalytic.Admin.Data;

public static class DataSetup
{
    public static IServiceCollection AddAdminData(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AppOptions.Section).Get<AppOptions>()?.Database ?? new DatabaseOptions();
        string? sqliteFile = null;
        // Pooled: every SCIM request opens a context or two (token check, directory call), and a pooled one
        // skips building the context's internal services each time.
        if (IsPostgres(options))
        {
            services.AddPooledDbContextFactory<PostgresAdminDbContext>(db => Configure(db).UseNpgsql(options.ConnectionString));
            services.AddSingleton<IDbContextFactory<AdminDbContext>, AdminDbContextFactory<PostgresAdminDbContext>>();
            services.AddSingleton<IHotPathReads, EfHotPathReads>();
            services.AddSingleton(DatabaseWriteGate.Open());
            services.AddSingleton(sp => new GroupCommit(
                sp.GetRequiredService<IDbContextFactory<AdminDbContext>>(), sp.GetRequiredService<DatabaseWriteGate>(), null, sp.GetRequiredService<ILogger<GroupCommit>>()));
        }
        else
        {
            var connectionString = PrepareSqlite(options.ConnectionString, out sqliteFile);
            var settings = new SqliteConnectionSettings(options.Synchronous);
            services.AddSingleton(settings);
            services.AddPooledDbContextFactory<SqliteAdminDbContext>(db =>
                Configure(db).UseSqlite(connectionString).AddInterceptors(settings));
            services.AddSingleton<IDbContextFactory<AdminDbContext>, AdminDbContextFactory<SqliteAdminDbContext>>();
            services.AddSingleton<IHotPathReads>(sp =>
            {
                using var db = sp.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContext();
                return new SqliteHotPathReads(connectionString, settings, db.Model);
            });
            services.AddSingleton(DatabaseWriteGate.OneWriterAtATime());
            services.AddHostedService(sp => new SqliteCheckpointer(
                connectionString, settings, sp.GetRequiredService<DatabaseWriteGate>(), sp.GetRequiredService<ILogger<SqliteCheckpointer>>()));
            services.AddSingleton(sp =>
            {
                var dbFactory = sp.GetRequiredService<IDbContextFactory<AdminDbContext>>();
                using var db = dbFactory.CreateDbContext();
                return new GroupCommit(
                    dbFactory,
                    sp.GetRequiredService<DatabaseWriteGate>(),
                    new SqliteUserRows(connectionString, settings, db.Model),
                    sp.GetRequiredService<ILogger<GroupCommit>>());
            });
        }

        // Data Protection's key store asks for the context itself.
        services.AddScoped<AdminDbContext>(sp => sp.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContext());

        // Keys in the database: the encrypted SCIM tokens and OIDC secrets stay readable after a restart
        // and on every instance. The keys themselves are encrypted with a certificate kept outside it (KeyRing.cs).
        services.AddDataProtection()
            .SetApplicationName("Catalytic.Admin")
            .PersistKeysToDbContext<AdminDbContext>()
            .ProtectKeysWithKeyRing(configuration, sqliteFile);
        return services;
    }

    /// <summary>
    /// Applies migrations; on SQLite also switches the file to WAL so readers never block the writer. Then checks
    /// and encrypts the Data Protection key ring, before anything uses it.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        await db.Database.MigrateAsync(ct);
        await services.GetRequiredService<KeyRing>().PrepareAsync(ct);
    }

    // A unique index refusing a racing create is an expected outcome (the directory turns it into a
    // 409), not an error to log with a stack trace; failures nobody handles still surface as exceptions.
    private static DbContextOptionsBuilder Configure(DbContextOptionsBuilder db) =>
        db.ConfigureWarnings(w => w.Log(
            (CoreEventId.SaveChangesFailed, LogLevel.Debug),
            (RelationalEventId.CommandError, LogLevel.Debug)));

    public static bool IsPostgres(DatabaseOptions options) =>
        options.Provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase) || options.Provider.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Makes sure the database file's folder exists (owner-only, it also holds the generated key-encryption
    /// certificate), so a fresh machine needs no set-up.
    /// </summary>
    private static string PrepareSqlite(string connectionString, out string? file)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        file = null;
        if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            file = Path.GetFullPath(builder.DataSource);
            var folder = Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(folder))
            {
                OwnerOnlyFiles.CreateFolder(folder);
            }
        }

        return builder.ToString();
    }
}
