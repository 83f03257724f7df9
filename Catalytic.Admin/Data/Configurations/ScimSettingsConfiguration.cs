using Catalytic.Admin.Scim;
using Catalytic.Admin.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class ScimSettingsConfiguration : IEntityTypeConfiguration<ScimSettings>
{
    public void Configure(EntityTypeBuilder<ScimSettings> builder)
    {
        builder.HasKey(s => s.TeamId);
        builder.HasOne<Team>().WithOne().HasForeignKey<ScimSettings>(s => s.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.DefaultEmailNotifications).HasConversion<string>().HasMaxLength(16);
    }
}
