using Catalytic.Admin.Users;

namespace Catalytic.Admin.Scim;

/// <summary>A team's SCIM switch and the defaults given to every account its IdP creates.</summary>
public sealed class ScimSettings
{
    public Guid TeamId { get; set; }

    public bool Enabled { get; set; }

    public EmailNotifications DefaultEmailNotifications { get; set; } = EmailNotifications.MentionsOnly;

    public bool DefaultWeeklyDigest { get; set; } = true;

    public bool DefaultShowWelcomeTour { get; set; } = true;

    public DateTime UpdatedAt { get; set; }
}
