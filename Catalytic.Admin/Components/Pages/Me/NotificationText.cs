using Catalytic.Admin.Users;

namespace Catalytic.Admin.Components.Pages.Me;

/// <summary>How a member's notification choice reads on the page.</summary>
public static class NotificationText
{
    public static string Describe(EmailNotifications setting) => setting switch
    {
        EmailNotifications.All => "all activity",
        EmailNotifications.MentionsOnly => "only mentions of you",
        EmailNotifications.None => "no notifications",
        _ => "an unknown setting",
    };
}
