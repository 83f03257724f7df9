namespace Catalytic.Admin.Teams;

public sealed class Team
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>URL-safe, unique, lower-case; appears in the SCIM base URL.</summary>
    public required string Slug { get; set; }

    public required string Name { get; set; }

    public DateTime CreatedAt { get; set; }
}
