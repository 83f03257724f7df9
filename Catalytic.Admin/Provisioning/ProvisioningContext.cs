namespace Catalytic.Admin.Provisioning;

/// <summary>
/// Per-request notes that SCIM handlers leave for the activity log: which user was affected, what failed.
/// The recorder middleware turns them, with the response status, into a <see cref="ProvisioningEvent"/>.
/// </summary>
public sealed class ProvisioningContext
{
    public string Operation { get; set; } = "other";

    public Guid? UserId { get; set; }

    public string? UserName { get; set; }

    public string? ErrorType { get; private set; }

    public string? Detail { get; private set; }

    public void Fail(string? errorType, string detail)
    {
        ErrorType = errorType;
        Detail = detail;
    }

    public void Affected(Guid? userId, string? userName)
    {
        UserId = userId ?? UserId;
        UserName = userName ?? UserName;
    }

    public static ProvisioningContext? Get(HttpContext context) => context.Features.Get<ProvisioningContext>();
}
