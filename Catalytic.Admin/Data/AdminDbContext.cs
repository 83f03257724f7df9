using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Data;

public sealed class AdminDbContext(DbContextOptions<AdminDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Team> Teams => Set<Team>();

    public DbSet<User> Users => Set<User>();

    public DbSet<SsoConnection> SsoConnections => Set<SsoConnection>();

    public DbSet<ScimSettings> ScimSettings => Set<ScimSettings>();

    public DbSet<ScimToken> ScimTokens => Set<ScimToken>();

    public DbSet<ProvisioningEvent> ProvisioningEvents => Set<ProvisioningEvent>();

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
