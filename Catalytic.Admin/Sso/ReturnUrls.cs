using System.Globalization;

namespace Catalytic.Admin.Sso;

/// <summary>
/// The one check for every return URL the app accepts (SSO start, local sign-in, sign-out): only a path on this
/// site, so a crafted link cannot bounce a signed-in user elsewhere.
/// </summary>
public static class ReturnUrls
{
    public const string Home = "/";

    /// <summary><paramref name="returnUrl"/> when it is a local path, else <paramref name="fallback"/>.</summary>
    public static string LocalOr(string? returnUrl, string fallback = Home) => IsLocal(returnUrl) ? returnUrl! : fallback;

    /// <summary>
    /// A path that starts with one '/' and holds no control character, backslash or invisible separator, also once
    /// percent-decoded (nor a raw space). Browsers drop tabs and line breaks from URLs and read '\' as '/', so
    /// "/\t/evil.example" or "/\evil.example" would otherwise leave the site.
    /// </summary>
    public static bool IsLocal(string? returnUrl)
    {
        if (string.IsNullOrEmpty(returnUrl))
        {
            return false;
        }

        // A few rounds catch double encoding (%252F); anything still changing after that is refused.
        var current = returnUrl;
        for (var round = 0; round < 3; round++)
        {
            if (!IsPlainLocalPath(current, decoded: round > 0))
            {
                return false;
            }

            var decoded = Uri.UnescapeDataString(current);
            if (decoded == current)
            {
                return true;
            }

            current = decoded;
        }

        return false;
    }

    private static bool IsPlainLocalPath(string path, bool decoded) =>
        path.Length > 0 && path[0] == '/'
        && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'))
        && !path.Any(c => IsForbidden(c) || (c == ' ' && !decoded));

    // An encoded space (%20) is an ordinary part of a query; every other kind of white space is refused.
    private static bool IsForbidden(char c) =>
        c == '\\' || char.IsControl(c) || (char.IsWhiteSpace(c) && c != ' ')
        || char.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format;
}
