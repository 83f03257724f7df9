using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Catalytic.Admin.Data.Configurations;

internal sealed class SsoConnectionConfiguration : IEntityTypeConfiguration<SsoConnection>
{
    public void Configure(EntityTypeBuilder<SsoConnection> builder)
    {
        builder.HasKey(c => c.TeamId);
        builder.HasOne<Team>().WithOne().HasForeignKey<SsoConnection>(c => c.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(c => c.Issuer).HasMaxLength(2048);
        builder.Property(c => c.ClientId).HasMaxLength(512);
        builder.Property(c => c.Scopes).HasMaxLength(512);
        builder.Property(c => c.UniqueIdClaim).HasMaxLength(128);
        builder.Property(c => c.LastTestSignInSubject).HasMaxLength(256);
    }
}
