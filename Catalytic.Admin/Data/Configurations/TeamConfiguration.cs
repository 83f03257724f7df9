using Catalytic.Admin.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> builder)
    {
        builder.Property(t => t.Slug).HasMaxLength(TeamRules.SlugMaxLength);
        builder.Property(t => t.Name).HasMaxLength(TeamRules.NameMaxLength);
        builder.HasIndex(t => t.Slug).IsUnique();
    }
}
