using System.Globalization;

namespace Catalytic.Admin.Scim;

/// <summary>The weak entity tag <c>W/"{User.Version}"</c> used for <c>meta.version</c>, <c>ETag</c> and <c>If-Match</c>.</summary>
public static class ScimETag
{
    /// <summary>A version no user ever has: an If-Match we cannot read fails the precondition rather than skipping it.</summary>
    private const int Unmatchable = -1;

    public static string Format(int version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Reads <c>W/"3"</c>, <c>"3"</c> or <c>3</c>; null when it is none of these.</summary>
    public static int? Parse(string? tag)
    {
        var text = tag.AsSpan().Trim();
        if (text.StartsWith("W/", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    /// <summary>
    /// The version an If-Match header insists on, or null when there is no precondition (no header, or <c>*</c>).
    /// With several tags the first one counts; IdPs send one.
    /// </summary>
    public static int? ExpectedVersion(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var first = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is null || first == "*")
        {
            return null;
        }

        return Parse(first) ?? Unmatchable;
    }
}
