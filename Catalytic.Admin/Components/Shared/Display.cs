using System.Globalization;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Components.Shared;

/// <summary>How the admin pages write times and user fields. Times are UTC: the server does not know the browser's zone.</summary>
public static class Display
{
    public static string When(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Ago(DateTime utc, DateTime now)
    {
        var span = now - utc;
        return span.TotalSeconds switch
        {
            < 0 => "in " + Span(-span),
            < 45 => "just now",
            _ => Span(span) + " ago",
        };
    }

    /// <summary>Rounded to the nearest unit: a grace period of 2 h read a moment later is still "2 h".</summary>
    public static string Span(TimeSpan span) => span.TotalSeconds switch
    {
        < 59.5 => $"{Math.Max(1, Math.Round(span.TotalSeconds))} s",
        < 59.5 * 60 => $"{Math.Round(span.TotalMinutes)} min",
        < 47.5 * 3600 => $"{Math.Round(span.TotalHours)} h",
        _ => $"{Math.Round(span.TotalDays)} days",
    };

    public static string Name(User user) =>
        user.DisplayName ?? string.Join(' ', new[] { user.GivenName, user.FamilyName }.Where(n => !string.IsNullOrEmpty(n)));

    /// <summary>The IdP subject the account is bound to, shortened to fit the panel; "not linked" before the first SSO sign-in.</summary>
    public static string SsoIdentity(User user) =>
        user.SsoSubject is null ? "not linked" : $"{Shorten(user.SsoIssuer ?? "", 48)} · {Shorten(user.SsoSubject, 24)}";

    /// <summary>Keeps both ends, which tell values apart (a tenant id, a subject's tail), and cuts the middle.</summary>
    private static string Shorten(string value, int max) =>
        value.Length <= max ? value : string.Concat(value.AsSpan(0, (max / 2) - 1), "…", value.AsSpan(value.Length - (max / 2)));

    /// <summary>A user agent shortened to browser and system, e.g. "Firefox on Linux"; the full string goes in a tooltip.</summary>
    public static string Browser(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "unknown browser";
        }

        // Order matters: Edge and Opera also say Chrome, Chrome also says Safari, Android also says Linux.
        var browser = Pick(userAgent, ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"));
        var system = Pick(userAgent, ("Windows", "Windows"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Mac OS X", "macOS"), ("Android", "Android"), ("CrOS", "ChromeOS"), ("Linux", "Linux"));
        return (browser, system) switch
        {
            (null, null) => userAgent.Length <= 40 ? userAgent : userAgent[..40] + "…",
            (null, _) => system!,
            (_, null) => browser,
            _ => $"{browser} on {system}",
        };
    }

    private static string? Pick(string userAgent, params (string Token, string Name)[] candidates) =>
        candidates.FirstOrDefault(c => userAgent.Contains(c.Token, StringComparison.Ordinal)).Name;

    public static string Source(UserSource source) => source == UserSource.Idp ? "Provisioned by the IdP" : "Created by an admin";
}
