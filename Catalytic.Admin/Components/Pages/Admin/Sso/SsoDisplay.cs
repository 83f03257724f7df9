namespace Catalytic.Admin.Components.Pages.Admin.Sso;

/// <summary>How the SSO Settings page writes times. The server does not know the browser's time zone: UTC, labelled.</summary>
public static class SsoDisplay
{
    public static string When(DateTime? utc, string otherwise = "never") =>
        utc is { } value ? value.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC" : otherwise;
}
