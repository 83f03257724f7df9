namespace Catalytic.Admin.Provisioning;

/// <summary>One SCIM request as the team's IdP made it. Never holds the token.</summary>
public sealed class ProvisioningEvent
{
    public long Id { get; set; }

    public Guid TeamId { get; set; }

    public DateTime At { get; set; }

    public required string Method { get; set; }

    public required string Path { get; set; }

    /// <summary>What the IdP was doing, in words an admin filters by: "create", "update", "deactivate", "lookup"…</summary>
    public string Operation { get; set; } = "other";

    public int Status { get; set; }

    public Guid? UserId { get; set; }

    public string? UserName { get; set; }

    /// <summary>The SCIM <c>scimType</c> of a failure, if any.</summary>
    public string? ErrorType { get; set; }

    /// <summary>The exact error detail the IdP received.</summary>
    public string? Detail { get; set; }

    public int DurationMs { get; set; }

    public bool Succeeded => Status < 400;
}
