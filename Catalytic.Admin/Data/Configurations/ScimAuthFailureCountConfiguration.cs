using Catalytic.Admin.Scim;
using Catalytic.Admin.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class ScimAuthFailureCountConfiguration : IEntityTypeConfiguration<ScimAuthFailureCount>
{
    public void Configure(EntityTypeBuilder<ScimAuthFailureCount> builder)
    {
        builder.HasKey(f => new { f.TeamId, f.Source });
        builder.HasOne<Team>().WithMany().HasForeignKey(f => f.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(f => f.Source).HasMaxLength(64);
    }
}
