using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class ProvisioningEventConfiguration : IEntityTypeConfiguration<ProvisioningEvent>
{
    public void Configure(EntityTypeBuilder<ProvisioningEvent> builder)
    {
        builder.HasOne<Team>().WithMany().HasForeignKey(e => e.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(e => e.Method).HasMaxLength(8);
        builder.Property(e => e.Path).HasMaxLength(1024);
        builder.Property(e => e.Operation).HasMaxLength(32);
        builder.Property(e => e.UserName).HasMaxLength(256);
        builder.Property(e => e.ErrorType).HasMaxLength(32);
        builder.Property(e => e.Detail).HasMaxLength(2048);
        builder.Ignore(e => e.Succeeded);
        builder.HasIndex(e => new { e.TeamId, e.At });
        builder.HasIndex(e => new { e.TeamId, e.UserId, e.At });
    }
}
