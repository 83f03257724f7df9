namespace Catalytic.Admin.Scim;

/// <summary>
/// The <c>attributes</c> and <c>excludedAttributes</c> query parameters (RFC 7644 §3.4.2.5). <c>schemas</c>,
/// <c>id</c> and <c>meta.resourceType</c> are always returned.
/// </summary>
public sealed class ScimProjection
{
    public static readonly ScimProjection All = new(null, []);

    private readonly HashSet<(UserAttribute, string?)>? included;
    private readonly HashSet<(UserAttribute, string?)> excluded;

    private ScimProjection(HashSet<(UserAttribute, string?)>? included, HashSet<(UserAttribute, string?)> excluded)
    {
        this.included = included;
        this.excluded = excluded;
    }

    public static ScimProjection From(IQueryCollection query)
    {
        var attributes = query["attributes"].ToString();
        var excludedAttributes = query["excludedAttributes"].ToString();
        if (string.IsNullOrWhiteSpace(attributes) && string.IsNullOrWhiteSpace(excludedAttributes))
        {
            return All;
        }

        // An attributes list that names nothing we have still narrows the result to the always-returned ones.
        var included = string.IsNullOrWhiteSpace(attributes) ? null : ScimUserAttributes.ParseList(attributes).ToHashSet();
        return new ScimProjection(included, ScimUserAttributes.ParseList(excludedAttributes).ToHashSet());
    }

    public bool Includes(UserAttribute attribute)
    {
        if (attribute is UserAttribute.Schemas or UserAttribute.Id or UserAttribute.Meta)
        {
            return true;
        }

        return (included is null || included.Any(entry => entry.Item1 == attribute)) && !excluded.Contains((attribute, null));
    }

    /// <param name="sub">A lower-case sub-attribute name.</param>
    public bool Includes(UserAttribute attribute, string sub)
    {
        if (attribute == UserAttribute.Meta && sub == "resourcetype")
        {
            return true;
        }

        var wanted = included is null || included.Contains((attribute, null)) || included.Contains((attribute, sub));
        return wanted && !excluded.Contains((attribute, null)) && !excluded.Contains((attribute, sub));
    }
}
