using Catalytic.Admin.Provisioning;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>Activity entries as the SCIM recorder writes them, for tests that seed the log directly.</summary>
public static class TestEvents
{
    /// <summary>A request by the team's IdP to its /Users endpoint.</summary>
    public static ProvisioningEvent UsersRequest(TestTeam team, DateTime at, string operation, int status) => new()
    {
        TeamId = team.Id,
        At = at,
        Method = "POST",
        Path = $"/scim/v2/{team.Slug}/Users",
        Operation = operation,
        Status = status,
    };
}
