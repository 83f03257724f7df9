using Catalytic.Admin.Components.Shared;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Components;

public sealed class DisplayTests
{
    private static readonly DateTime Now = new(2026, 5, 1, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(-10, "just now")]
    [InlineData(-90, "2 min ago")]
    [InlineData(-3 * 3600, "3 h ago")]
    [InlineData(-3 * 86400, "3 days ago")]
    [InlineData(2 * 3600 - 1, "in 2 h")]
    [InlineData(30, "in 30 s")]
    public void Ago_RoundsToTheNearestUnit(int seconds, string expected) =>
        Assert.Equal(expected, Display.Ago(Now.AddSeconds(seconds), Now));

    [Fact]
    public void When_IsUtcAndCultureIndependent() =>
        Assert.Equal("2026-05-01 12:00:00 UTC", Display.When(Now));

    [Fact]
    public void Name_PrefersDisplayName_ThenGivenAndFamily_ThenNothing()
    {
        Assert.Equal("Dana S.", Display.Name(new User { UserName = "d", DisplayName = "Dana S.", GivenName = "Dana" }));
        Assert.Equal("Dana Scully", Display.Name(new User { UserName = "d", GivenName = "Dana", FamilyName = "Scully" }));
        Assert.Equal("Scully", Display.Name(new User { UserName = "d", FamilyName = "Scully" }));
        Assert.Equal("", Display.Name(new User { UserName = "d" }));
    }
}
