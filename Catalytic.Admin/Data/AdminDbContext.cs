using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Data;

/// <summary>
/// The app's database. Each provider has a subclass only so that it keeps its own migrations
/// (SQLite and PostgreSQL DDL differ); everything else uses this type.
/// </summary>
public abstract class AdminDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Team> Teams => Set<Team>();

    public DbSet<User> Users => Set<User>();

    public DbSet<SsoConnection> SsoConnections => Set<SsoConnection>();

    public DbSet<ScimSettings> ScimSettings => Set<ScimSettings>();

    public DbSet<ScimToken> ScimTokens => Set<ScimToken>();

    public DbSet<ProvisioningEvent> ProvisioningEvents => Set<ProvisioningEvent>();

    public DbSet<UserSession> UserSessions => Set<UserSession>();

    public DbSet<PasswordLockout> PasswordLockouts => Set<PasswordLockout>();

    public DbSet<ScimAuthFailureCount> ScimAuthFailureCounts => Set<ScimAuthFailureCount>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AdminDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC; SQLite forgets the Kind, so it is restored on read.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }
}
