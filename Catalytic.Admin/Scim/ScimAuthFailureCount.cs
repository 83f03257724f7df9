namespace Catalytic.Admin.Scim;

/// <summary>
/// Refused SCIM authentications aggregated per team and source address: a counter, never a row per request
/// with request text, so that nobody without a token can write into a team's activity log.
/// </summary>
public sealed class ScimAuthFailureCount
{
    public Guid TeamId { get; set; }

    /// <summary>The client address (as seen after trusted forwarded headers).</summary>
    public required string Source { get; set; }

    public long Count { get; set; }

    public DateTime FirstAt { get; set; }

    public DateTime LastAt { get; set; }
}
