using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Users;

public sealed class UserDirectorySearchTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    private UserDirectory Directory => app.Get<UserDirectory>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        team = await app.CreateTeamAsync();
        await app.CreateUserAsync(team, "alice", email: "alice@contoso.com", externalId: "00u-alice");
        await app.CreateUserAsync(team, "Alicia", email: "a.l@fabrikam.com");
        await app.CreateUserAsync(team, "bob", email: "alice.bob@contoso.com", externalId: "ABC");
        await app.CreateUserAsync(team, "carol", email: null);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Search_WithBlankText_ListsEveryoneOfTheTeam()
    {
        var other = await app.CreateTeamAsync("globex");
        await app.CreateUserAsync(other, "alice");

        var page = await Directory.SearchAsync(team.Id, "   ", UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal(5, page.TotalResults); // the four users and the team's admin
        Assert.All(page.Users, u => Assert.Equal(team.Id, u.TeamId));
    }

    [Fact]
    public async Task Search_ByUserNamePrefix_IgnoresCase()
    {
        var page = await Directory.SearchAsync(team.Id, "ALI", UserSort.UserName, false, 0, 50, Ct);

        // alice and Alicia by userName, bob by his email alice.bob@…
        Assert.Equal(["alice", "Alicia", "bob"], page.Users.Select(u => u.UserName));
    }

    [Fact]
    public async Task Search_ByEmailPrefix_FindsTheUser()
    {
        var page = await Directory.SearchAsync(team.Id, "a.l@fab", UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal("Alicia", Assert.Single(page.Users).UserName);
    }

    [Fact]
    public async Task Search_ByExternalId_MatchesOnlyTheExactValue()
    {
        Assert.Equal("alice", Assert.Single((await Directory.SearchAsync(team.Id, "00u-alice", UserSort.UserName, false, 0, 50, Ct)).Users).UserName);
        Assert.Empty((await Directory.SearchAsync(team.Id, "00u-al", UserSort.UserName, false, 0, 50, Ct)).Users);
    }

    [Fact]
    public async Task Search_MatchingUserNameEmailAndExternalIdAtOnce_ListsTheUserOnce()
    {
        await app.CreateUserAsync(team, "xavier", email: "xavier@example.com", externalId: "xav");

        var page = await Directory.SearchAsync(team.Id, "xav", UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal(1, page.TotalResults);
        Assert.Equal("xavier", Assert.Single(page.Users).UserName);
    }

    [Fact]
    public async Task Search_ByExternalId_FindsAUserWithoutEmail()
    {
        var created = await Directory.CreateAsync(team.Id, new UserProfile { UserName = "noemail", ExternalId = "E-1" }, UserSource.Idp, Ct);
        Assert.True(created.Succeeded);

        var page = await Directory.SearchAsync(team.Id, "E-1", UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal("noemail", Assert.Single(page.Users).UserName);
    }

    [Fact]
    public async Task Search_ByExternalIdSharedByTwoAccounts_FindsBoth()
    {
        await app.CreateUserAsync(team, "twin1", externalId: "shared");
        await app.CreateUserAsync(team, "twin2", externalId: "shared");

        var page = await Directory.SearchAsync(team.Id, "shared", UserSort.UserName, true, 0, 50, Ct);

        Assert.Equal(["twin2", "twin1"], page.Users.Select(u => u.UserName));
    }

    [Fact]
    public async Task Search_DoesNotMatchTheMiddleOfAValue()
    {
        var page = await Directory.SearchAsync(team.Id, "lice", UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal(0, page.TotalResults);
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("a%")]
    [InlineData("'; DROP TABLE Users; --")]
    [InlineData("\\")]
    [InlineData("\"")]
    [InlineData("[a-z]*")]
    [InlineData("😀")]
    [InlineData("\uD83D")] // half of a surrogate pair
    [InlineData("\uFFFF")]
    [InlineData("\u0000")]
    public async Task Search_WithOddCharacters_TreatsThemAsText(string text)
    {
        var page = await Directory.SearchAsync(team.Id, text, UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal(0, page.TotalResults);
        Assert.Empty(page.Users);
        Assert.Equal(5, (await Directory.SearchAsync(team.Id, "", UserSort.UserName, false, 0, 50, Ct)).TotalResults);
    }

    [Fact]
    public async Task Search_WithWildcardAfterARealPrefix_DoesNotWidenTheMatch()
    {
        Assert.Empty((await Directory.SearchAsync(team.Id, "al%", UserSort.UserName, false, 0, 50, Ct)).Users);
        Assert.Empty((await Directory.SearchAsync(team.Id, "al_ce", UserSort.UserName, false, 0, 50, Ct)).Users);
    }

    [Fact]
    public async Task Search_WithVeryLongText_ReturnsNothingInsteadOfFailing()
    {
        var page = await Directory.SearchAsync(team.Id, new string('a', 10_000), UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal(0, page.TotalResults);
    }

    [Fact]
    public async Task Search_WithNonAsciiText_MatchesNonAsciiEmails()
    {
        await app.CreateUserAsync(team, "zoe", email: "zoë@example.com");

        var page = await Directory.SearchAsync(team.Id, "ZOË", UserSort.UserName, false, 0, 50, Ct);

        Assert.Equal("zoe", Assert.Single(page.Users).UserName);
    }

    [Fact]
    public async Task Search_PagesAndSortsTheMatches()
    {
        var descending = await Directory.SearchAsync(team.Id, "a", UserSort.UserName, true, 0, 2, Ct);
        var next = await Directory.SearchAsync(team.Id, "a", UserSort.UserName, true, 2, 2, Ct);

        // alice, Alicia, bob (email alice.bob@), adminacme: four matches.
        Assert.Equal(4, descending.TotalResults);
        Assert.Equal(["bob", "Alicia"], descending.Users.Select(u => u.UserName));
        Assert.Equal(["alice", "adminacme"], next.Users.Select(u => u.UserName));
    }

    [Fact]
    public async Task Search_WithNegativeSkipOrPastTheEnd_ReturnsAPageNotAnError()
    {
        Assert.Equal(5, (await Directory.SearchAsync(team.Id, null, UserSort.UserName, false, -10, 50, Ct)).Users.Count);
        var past = await Directory.SearchAsync(team.Id, null, UserSort.UserName, false, 500, 50, Ct);
        Assert.Equal(5, past.TotalResults);
        Assert.Empty(past.Users);
    }

    [Theory]
    [InlineData("ABC", "ABD")]
    [InlineData("A", "B")]
    [InlineData("Z@", "ZA")]
    [InlineData("\uD7FF", null)]
    [InlineData("\uFFFF", null)]
    [InlineData("😀", null)]
    [InlineData("", null)]
    public void PrefixUpperBound_IncrementsTheLastCharacterOrGivesUp(string prefix, string? expected) =>
        Assert.Equal(expected, UserDirectory.PrefixUpperBound(prefix));

    [Fact]
    public async Task Counts_SplitActiveDeactivatedAndRecentlyProvisioned()
    {
        var provisioned = await app.CreateUserAsync(team, "dave", UserSource.Idp);
        await app.CreateUserAsync(team, "erin", UserSource.Idp);
        await Directory.SetActiveAsync(team.Id, provisioned.Id, false, UserSource.Idp, Ct);
        app.Clock.Advance(TimeSpan.FromHours(2));
        await app.CreateUserAsync(team, "frank", UserSource.Idp);

        var counts = await Directory.CountsAsync(team.Id, app.Clock.GetUtcNow().UtcDateTime.AddHours(-1), Ct);

        Assert.Equal(new UserCounts(Active: 7, Deactivated: 1, ProvisionedSince: 1), counts);
    }

    [Fact]
    public async Task Counts_ForATeamWithoutUsers_AreZero()
    {
        var counts = await Directory.CountsAsync(Guid.NewGuid(), DateTime.UtcNow.AddDays(-1), Ct);

        Assert.Equal(new UserCounts(0, 0, 0), counts);
    }
}
