using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Catalytic.Admin.Data;

/// <summary>The embedded default: one SQLite file. Migrations in Data/Migrations/Sqlite.</summary>
public sealed class SqliteAdminDbContext(DbContextOptions<SqliteAdminDbContext> options) : AdminDbContext(options);

/// <summary>For deployments that outgrow one machine. Migrations in Data/Migrations/Postgres.</summary>
public sealed class PostgresAdminDbContext(DbContextOptions<PostgresAdminDbContext> options) : AdminDbContext(options);

/// <summary>Hands out the provider's context as the <see cref="AdminDbContext"/> every service asks for.</summary>
internal sealed class AdminDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<AdminDbContext>
    where TContext : AdminDbContext
{
    public AdminDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<AdminDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}

/// <summary>Lets <c>dotnet ef migrations add … --context SqliteAdminDbContext</c> build the model without the app.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAdminDbContext>
{
    public SqliteAdminDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAdminDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>Lets <c>dotnet ef migrations add … --context PostgresAdminDbContext</c> run without a server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAdminDbContext>
{
    public PostgresAdminDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAdminDbContext>().UseNpgsql("Host=localhost;Database=design_time").Options);
}
