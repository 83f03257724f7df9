using System.Net;
using System.Net.Http.Headers;
using Catalytic.Admin.Tests.Infrastructure;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// With team A's token, team B's users cannot be seen, found, changed or deleted through any route, and a
/// create in A never attaches to B's user even with the same userName and email.
/// </summary>
public sealed class ScimTenantIsolationTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private readonly HttpClient teamA = scim.Client();

    private async Task<(TestTeam Team, HttpClient Client, string Id, string UserName, string Email, string ExternalId)> TeamBWithUserAsync()
    {
        var (team, client) = await scim.NewTeamAsync();
        var userName = UniqueName("bob");
        var email = $"{userName}@globex.example";
        var externalId = Guid.NewGuid().ToString();
        var user = await client.PostJsonAsync("Users", UserBody(userName, email, externalId)).ExpectAsync(HttpStatusCode.Created);
        return (team, client, user.Id(), userName, email, externalId);
    }

    [Fact]
    public async Task GetUser_OfAnotherTeam_Returns404()
    {
        var b = await TeamBWithUserAsync();

        await teamA.GetAsync($"Users/{b.Id}").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task ListUsers_NeverIncludesAnotherTeamsUsers()
    {
        var b = await TeamBWithUserAsync();

        var list = await teamA.GetAsync("Users?count=1000").ExpectAsync(HttpStatusCode.OK);

        Assert.DoesNotContain(list.Resources(), r => r.Id() == b.Id);
    }

    [Fact]
    public async Task Filters_OnAnotherTeamsUserNameEmailExternalIdOrId_FindNothing()
    {
        var b = await TeamBWithUserAsync();

        foreach (var filter in new[]
        {
            $"userName eq \"{b.UserName}\"",
            $"emails[type eq \"work\"].value eq \"{b.Email}\"",
            $"externalId eq \"{b.ExternalId}\"",
            $"id eq \"{b.Id}\"",
            $"userName eq \"{b.UserName}\" or id eq \"{b.Id}\"",
            "userName pr or not (userName pr)",
        })
        {
            var list = await teamA.FilterAsync(filter, "&count=1000");
            Assert.DoesNotContain(list.Resources(), r => r.Id() == b.Id);
        }
    }

    [Fact]
    public async Task PutPatchAndDelete_OnAnotherTeamsUser_Return404AndChangeNothing()
    {
        var b = await TeamBWithUserAsync();

        await teamA.PutJsonAsync($"Users/{b.Id}", UserBody(UniqueName())).ExpectErrorAsync(HttpStatusCode.NotFound, null);
        await teamA.PatchJsonAsync($"Users/{b.Id}", Patch("""{"op":"replace","value":{"active":false,"displayName":"pwned"}}""")).ExpectErrorAsync(HttpStatusCode.NotFound, null);
        await teamA.DeleteAsync($"Users/{b.Id}").ExpectErrorAsync(HttpStatusCode.NotFound, null);

        var stillThere = await b.Client.GetAsync($"Users/{b.Id}").ExpectAsync(HttpStatusCode.OK);
        Assert.True(stillThere.Active());
        Assert.Equal(b.UserName, stillThere.Str("userName"));
        Assert.Equal("W/\"1\"", stillThere.GetProperty("meta").GetProperty("version").GetString());
    }

    [Fact]
    public async Task PostUser_WithAnotherTeamsUserNameAndEmail_CreatesASeparateUser()
    {
        var b = await TeamBWithUserAsync();

        var ours = await teamA.PostJsonAsync("Users", UserBody(b.UserName, b.Email, b.ExternalId)).ExpectAsync(HttpStatusCode.Created);

        Assert.NotEqual(b.Id, ours.Id());
        var theirs = await b.Client.GetAsync($"Users/{b.Id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("W/\"1\"", theirs.GetProperty("meta").GetProperty("version").GetString());
        Assert.Equal(1, (await b.Client.FilterAsync($"userName eq \"{b.UserName}\"")).Total());
    }

    [Theory]
    [InlineData("GET", "Users")]
    [InlineData("GET", "Users/{id}")]
    [InlineData("POST", "Users")]
    [InlineData("PUT", "Users/{id}")]
    [InlineData("PATCH", "Users/{id}")]
    [InlineData("DELETE", "Users/{id}")]
    [InlineData("GET", "ServiceProviderConfig")]
    [InlineData("GET", "Schemas")]
    [InlineData("GET", "Groups")]
    public async Task TeamAToken_OnTeamBsUrl_Returns401OnEveryRoute(string method, string path)
    {
        var b = await TeamBWithUserAsync();
        using var crossed = scim.App.CreateScimClient(b.Team, scim.Token);

        var response = await crossed.SendJsonAsync(new HttpMethod(method), path.Replace("{id}", b.Id, StringComparison.Ordinal), UserBody(UniqueName()));

        await response.ExpectErrorAsync(HttpStatusCode.Unauthorized, null);
        Assert.Equal(1, (await b.Client.FilterAsync($"userName eq \"{b.UserName}\"")).Total());
    }

    [Fact]
    public async Task TeamSlugInUrl_InAnotherCase_StillUsesTheTokensTeam()
    {
        var client = scim.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", scim.Token);

        var response = await client.GetAsync($"/scim/v2/{scim.Team.Slug.ToUpperInvariant()}/Users?count=1", TestContext.Current.CancellationToken);

        await response.ExpectAsync(HttpStatusCode.OK);
    }
}

/// <summary>Racing IdP requests: uniqueness holds in the database, and no race turns into a 500.</summary>
public sealed class ScimConcurrencyTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    [Fact]
    public async Task SixteenParallelCreates_OfOneUserName_GiveOne201AndFifteen409s()
    {
        var userName = UniqueName();
        var clients = Enumerable.Range(0, 16).Select(_ => scim.Client()).ToArray();

        var responses = await Task.WhenAll(clients.Select(c => c.PostJsonAsync("Users", UserBody(userName))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(15, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await conflict.ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        }

        Assert.Equal(1, (await scim.Client().FilterAsync($"userName eq \"{userName}\"")).Total());
    }

    [Fact]
    public async Task SixteenParallelCreates_OfOneEmail_GiveOne201AndFifteen409s()
    {
        var email = $"{UniqueName()}@example.com";
        var clients = Enumerable.Range(0, 16).Select(_ => scim.Client()).ToArray();

        var responses = await Task.WhenAll(clients.Select(c => c.PostJsonAsync("Users", UserBody(UniqueName(), email.ToUpperInvariant()))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(15, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task ManyParallelCreatesAndLookups_OfDifferentUsers_AllSucceed()
    {
        var names = Enumerable.Range(0, 24).Select(_ => UniqueName()).ToArray();

        var creates = await Task.WhenAll(names.Select(n => scim.Client().PostJsonAsync("Users", UserBody(n, $"{n}@example.com"))));
        var lookups = await Task.WhenAll(names.Select(n => scim.Client().GetAsync($"Users?filter={Uri.EscapeDataString($"userName eq \"{n}\"")}")));

        Assert.All(creates, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.All(lookups, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }
}
