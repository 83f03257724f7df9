using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>Seeds users through the real directory, so every seeded user obeys the same rules as SCIM's.</summary>
public static class UserSeeding
{
    public static async Task<User> CreateUserAsync(
        this AppFactory app,
        TestTeam team,
        string userName,
        UserSource source = UserSource.Admin,
        string? email = null,
        string? externalId = null,
        string? displayName = null)
    {
        var result = await app.Get<UserDirectory>().CreateAsync(team.Id, new UserProfile
        {
            UserName = userName,
            Email = email ?? $"{userName}@example.com",
            GivenName = "Given" + userName,
            FamilyName = "Family" + userName,
            DisplayName = displayName ?? $"Person {userName}",
            PrimaryPhone = "+1 555 0100",
            ExternalId = externalId,
        }, source);
        Assert.True(result.Succeeded, result.Error?.Detail);
        return result.User!;
    }

    /// <summary>Users named prefix01, prefix02, …, so their userName order is their number order.</summary>
    public static async Task<IReadOnlyList<User>> CreateUsersAsync(this AppFactory app, TestTeam team, int count, string prefix = "person", UserSource source = UserSource.Idp)
    {
        var users = new List<User>(count);
        for (var i = 1; i <= count; i++)
        {
            users.Add(await app.CreateUserAsync(team, $"{prefix}{i:D2}", source, externalId: $"ext-{prefix}-{i}"));
        }

        return users;
    }
}
