using System.Text.RegularExpressions;

namespace Catalytic.Admin.Teams;

public static partial class TeamRules
{
    public const int SlugMaxLength = 40;
    public const int NameMaxLength = 100;
    public const int PasswordMinLength = 12;

    // Words that would be confusing in a URL next to the app's own routes.
    private static readonly HashSet<string> ReservedSlugs = ["admin", "scim", "setup", "login", "logout", "api", "me"];

    public static string? ValidateSlug(string? slug)
    {
        if (string.IsNullOrWhiteSpace(slug))
        {
            return "Team URL name is required.";
        }

        if (slug.Length > SlugMaxLength || !SlugPattern().IsMatch(slug))
        {
            return $"Team URL name '{slug}' is not valid: use 2–{SlugMaxLength} lower-case letters, digits and hyphens, starting and ending with a letter or digit (e.g. 'acme-corp').";
        }

        return ReservedSlugs.Contains(slug) ? $"Team URL name '{slug}' is reserved; pick another." : null;
    }

    public static string? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Team name is required."
        : name.Trim().Length > NameMaxLength ? $"Team name must be at most {NameMaxLength} characters."
        : null;

    public static string? ValidatePassword(string? password) =>
        string.IsNullOrEmpty(password) || password.Length < PasswordMinLength
            ? $"The password must be at least {PasswordMinLength} characters long."
            : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*[a-z0-9]$")]
    private static partial Regex SlugPattern();
}
