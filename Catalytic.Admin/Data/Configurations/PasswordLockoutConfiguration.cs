using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class PasswordLockoutConfiguration : IEntityTypeConfiguration<PasswordLockout>
{
    public void Configure(EntityTypeBuilder<PasswordLockout> builder)
    {
        builder.HasKey(l => new { l.TeamId, l.NormalizedUserName });
        builder.HasOne<Team>().WithMany().HasForeignKey(l => l.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(l => l.NormalizedUserName).HasMaxLength(UserRules.UserNameMaxLength);
    }
}
