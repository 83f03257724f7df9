using Catalytic.Admin.Teams;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.HasOne<Team>().WithMany().HasForeignKey(u => u.TeamId).OnDelete(DeleteBehavior.Cascade);

        builder.Property(u => u.UserName).HasMaxLength(UserRules.UserNameMaxLength);
        builder.Property(u => u.NormalizedUserName).HasMaxLength(UserRules.UserNameMaxLength);
        builder.Property(u => u.Email).HasMaxLength(UserRules.EmailMaxLength);
        builder.Property(u => u.NormalizedEmail).HasMaxLength(UserRules.EmailMaxLength);
        builder.Property(u => u.GivenName).HasMaxLength(UserRules.NameMaxLength);
        builder.Property(u => u.FamilyName).HasMaxLength(UserRules.NameMaxLength);
        builder.Property(u => u.DisplayName).HasMaxLength(UserRules.NameMaxLength);
        builder.Property(u => u.PrimaryPhone).HasMaxLength(UserRules.PhoneMaxLength);
        builder.Property(u => u.ExternalId).HasMaxLength(UserRules.ExternalIdMaxLength);
        builder.Property(u => u.SsoIssuer).HasMaxLength(512);
        builder.Property(u => u.SsoSubject).HasMaxLength(256);
        builder.Property(u => u.Source).HasConversion<string>().HasMaxLength(16);
        builder.Property(u => u.EmailNotifications).HasConversion<string>().HasMaxLength(16);
        builder.Property(u => u.Version).IsConcurrencyToken();

        // Uniqueness lives in the database so that racing creates cannot both win.
        builder.HasIndex(u => new { u.TeamId, u.NormalizedUserName }).IsUnique();
        builder.HasIndex(u => new { u.TeamId, u.NormalizedEmail }).IsUnique().HasFilter("\"NormalizedEmail\" IS NOT NULL");
        builder.HasIndex(u => new { u.TeamId, u.ExternalId });
        builder.HasIndex(u => new { u.TeamId, u.CreatedAt, u.Id });
        // One account per IdP subject in a team: a subject bound elsewhere is refused, never moved.
        builder.HasIndex(u => new { u.TeamId, u.SsoIssuer, u.SsoSubject }).IsUnique().HasFilter("\"SsoSubject\" IS NOT NULL");
    }
}
