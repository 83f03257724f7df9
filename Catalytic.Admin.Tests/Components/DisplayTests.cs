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

    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0", "Edge on Windows")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS")]
    [InlineData("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36", "Chrome on Android")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile Safari/604.1", "Safari on iOS")]
    [InlineData("curl/8.5.0", "curl/8.5.0")]
    [InlineData("SomeVeryLongCustomClientNameWithoutAnyKnownTokens/1.2.3.4.5", "SomeVeryLongCustomClientNameWithoutAnyKn…")]
    [InlineData(null, "unknown browser")]
    public void Browser_ShortensTheUserAgent(string? userAgent, string expected) =>
        Assert.Equal(expected, Display.Browser(userAgent));

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
