using System.Text.RegularExpressions;

namespace Catalytic.Admin.Users;

/// <summary>The product's rules for user attributes. The user directory applies them to every write.</summary>
public static partial class UserRules
{
    public const int UserNameMaxLength = 64;
    public const int EmailMaxLength = 254;
    public const int NameMaxLength = 256;
    public const int PhoneMaxLength = 64;
    public const int ExternalIdMaxLength = 256;

    public static string Normalize(string value) => value.Trim().ToUpperInvariant();

    public static string? ValidateUserName(string? userName)
    {
        if (string.IsNullOrWhiteSpace(userName))
        {
            return "userName is required.";
        }

        if (userName.Length > UserNameMaxLength)
        {
            return $"userName '{Shorten(userName)}' is too long: at most {UserNameMaxLength} letters and digits are allowed.";
        }

        if (AlphanumericPattern().IsMatch(userName))
        {
            return null;
        }

        var hint = userName.Contains('@', StringComparison.Ordinal)
            ? " It looks like an email address: in your identity provider, map an attribute without '@' to userName, such as the mail nickname (Entra ID: mailNickname, or an expression that removes the domain and punctuation; Okta: a custom Application username format such as String.replace(String.substringBefore(user.login, \"@\"), \"[^A-Za-z0-9]\", \"\"))."
            : " Change the userName mapping in your identity provider to an attribute made of letters and digits only.";
        return $"userName '{Shorten(userName)}' is not allowed: user names may contain only the letters A-Z and a-z and the digits 0-9 (no '@', '#', '$', '.', '-', '_' or spaces).{hint}";
    }

    public static string? ValidateEmail(string? email)
    {
        if (email is null)
        {
            return null;
        }

        if (email.Length > EmailMaxLength)
        {
            return $"email is too long: at most {EmailMaxLength} characters are allowed.";
        }

        return EmailPattern().IsMatch(email) ? null : $"email '{Shorten(email)}' is not a valid email address.";
    }

    public static string? ValidateLength(string attribute, string? value, int max) =>
        value is not null && value.Length > max ? $"{attribute} is too long: at most {max} characters are allowed." : null;

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..80] + "…";

    [GeneratedRegex("^[A-Za-z0-9]+$")]
    private static partial Regex AlphanumericPattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailPattern();
}
