using System.Net;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.EntityFrameworkCore;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// Local (break-glass) accounts are outside SCIM: no listing, filter, page or total shows them, reading one by id
/// is a 404 like a missing user, and no SCIM write reaches one. A SCIM token can therefore not rename the local
/// admin into someone's SSO identity. A create that takes a local account's name is told what to do.
/// </summary>
public sealed class ScimLocalAccountTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private UserDirectory Directory => scim.App.Get<UserDirectory>();

    private async Task<(TestTeam Team, HttpClient Client, User Local)> TeamWithLocalAdminAsync()
    {
        var (team, client) = await scim.NewTeamAsync();
        var local = await Directory.FindByUserNameAsync(team.Id, team.AdminUserName, Ct);
        Assert.True(local is { IsLocal: true, IsAdmin: true, Active: true });
        return (team, client, local);
    }

    [Fact]
    public async Task ListUsers_WithoutFilter_NeitherListsNorCountsTheLocalAdmin()
    {
        var (_, client, local) = await TeamWithLocalAdminAsync();
        var provisioned = await client.CreateUserAsync(UniqueName());

        var body = await client.GetAsync("Users").ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(1, body.Total());
        Assert.Equal([provisioned.Id()], body.Resources().Select(r => r.Id()));
        Assert.DoesNotContain(local.Id.ToString(), body.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("userName eq \"{0}\"")]
    [InlineData("userName eq \"{0}\" and active eq true")]
    [InlineData("userName sw \"admin\"")]
    [InlineData("userName co \"{0}\"")]
    [InlineData("active eq true")]
    [InlineData("not (userName eq \"nobody\")")]
    [InlineData("id eq \"{1}\"")]
    [InlineData("displayName eq \"{0}\"")]
    [InlineData("meta.created pr")]
    public async Task Filters_OfEveryKind_NeverMatchTheLocalAdmin(string template)
    {
        var (team, client, local) = await TeamWithLocalAdminAsync();
        var alsoAdminPrefixed = await client.CreateUserAsync("admin" + UniqueName("sync"));
        var filter = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, team.AdminUserName, local.Id);

        var body = await client.FilterAsync(filter);

        Assert.DoesNotContain(body.Resources(), r => r.Id() == local.Id.ToString());
        Assert.Equal(body.Resources().Length, body.Total());
        if (!filter.Contains(team.AdminUserName, StringComparison.Ordinal) && !filter.Contains(local.Id.ToString(), StringComparison.Ordinal))
        {
            Assert.Equal([alsoAdminPrefixed.Id()], body.Resources().Select(r => r.Id())); // the filter still finds others
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("&sortBy=userName")]
    [InlineData("&filter=active%20eq%20true")]
    public async Task Paging_WithCountAndStartIndex_TotalsAndPagesOnlyTheIdpsAccounts(string extra)
    {
        var (_, client, local) = await TeamWithLocalAdminAsync();
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await client.CreateUserAsync(UniqueName())).Id());
        }

        var seen = new List<string>();
        for (var start = 1; start <= 4; start++)
        {
            var page = await client.GetAsync($"Users?startIndex={start}&count=1{extra}").ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(3, page.Total());
            seen.AddRange(page.Resources().Select(r => r.Id()));
        }

        Assert.Equal(created.Order(), seen.Order());
        Assert.DoesNotContain(local.Id.ToString(), seen);
        var counted = await client.GetAsync($"Users?count=0{extra}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(3, counted.Total());
        Assert.Empty(counted.Resources());
        Assert.Equal(2, (await client.GetAsync($"Users?startIndex=2&count=10{extra}").ExpectAsync(HttpStatusCode.OK)).Resources().Length);
    }

    [Fact]
    public async Task ReadAndWritesById_OfTheLocalAdmin_Return404LikeAMissingUser()
    {
        var (team, client, local) = await TeamWithLocalAdminAsync();
        var missing = Guid.NewGuid();
        string Same(string detail, Guid id) => detail.Replace(id.ToString(), "<id>", StringComparison.OrdinalIgnoreCase);

        foreach (var request in new Func<Guid, Task<HttpResponseMessage>>[]
        {
            id => client.GetAsync($"Users/{id}"),
            id => client.PutJsonAsync($"Users/{id}", UserBody(team.AdminUserName)),
            id => client.PatchJsonAsync($"Users/{id}", Patch("""{"op":"replace","value":{"active":false}}""")),
            id => client.DeleteAsync($"Users/{id}"),
        })
        {
            var forLocal = await (await request(local.Id)).ExpectErrorAsync(HttpStatusCode.NotFound, null);
            var forMissing = await (await request(missing)).ExpectErrorAsync(HttpStatusCode.NotFound, null);
            Assert.Equal(Same(forMissing, missing), Same(forLocal, local.Id));
        }

        var after = await Directory.FindAsync(team.Id, local.Id, Ct);
        Assert.True(after is { Active: true, IsAdmin: true, IsLocal: true });
        Assert.Equal(local.Version, after.Version);
    }

    [Fact]
    public async Task TheTakeover_PatchRenamingTheLocalAdmin_Returns404AndChangesNothing()
    {
        var (team, client, local) = await TeamWithLocalAdminAsync();

        await client.PatchJsonAsync($"Users/{local.Id}", Patch(
            """{"op":"replace","path":"userName","value":"victim"}""",
            """{"op":"replace","path":"externalId","value":"victim-sub"}"""))
            .ExpectErrorAsync(HttpStatusCode.NotFound, null);

        var after = await Directory.FindAsync(team.Id, local.Id, Ct);
        Assert.Equal(team.AdminUserName, after!.UserName);
        Assert.Null(after.ExternalId);
        Assert.Equal(UserSource.Admin, after.Source);
        Assert.Equal(local.Version, after.Version);
        Assert.Equal(local.PasswordHash, after.PasswordHash);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CreateUser_WithTheLocalAdminsUserName_Returns409UniquenessSayingToMapAnother(bool differentCase)
    {
        var (team, client, _) = await TeamWithLocalAdminAsync();
        var userName = differentCase ? team.AdminUserName.ToUpperInvariant() : team.AdminUserName;

        var detail = await client.PostJsonAsync("Users", UserBody(userName)).ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");

        Assert.Contains($"userName '{userName}' is held by a local administrator account of this team", detail, StringComparison.Ordinal);
        Assert.Contains("map a different userName for this user in the identity provider", detail, StringComparison.Ordinal);
        Assert.Equal(0, (await client.FilterAsync($"userName eq \"{userName}\"")).Total()); // and the lookup agrees: not the IdP's
    }

    [Fact]
    public async Task CreateOrRename_WithTheLocalAdminsEmail_Returns409UniquenessNamingTheLocalAccount()
    {
        var (team, client, local) = await TeamWithLocalAdminAsync();
        var email = $"{UniqueName()}@example.com";
        Assert.True((await Directory.UpdateAsync(team.Id, local.Id, p => p with { Email = email }, UserSource.Admin, ct: Ct)).Succeeded);

        var detail = await client.PostJsonAsync("Users", UserBody(UniqueName(), email)).ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        Assert.Contains($"email '{email}' is held by a local administrator account", detail, StringComparison.Ordinal);

        var other = await client.CreateUserAsync(UniqueName());
        var renamed = await client.PatchJsonAsync($"Users/{other.Id()}", Patch($$"""{"op":"replace","path":"userName","value":"{{team.AdminUserName}}"}"""))
            .ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        Assert.Contains("held by a local administrator account", renamed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALocalAccount_IsCreatedInOneWrite_NeverCountedOrVisibleOnTheWay()
    {
        var (team, client, _) = await TeamWithLocalAdminAsync();
        var changes = new List<UserChange>();
        var notifier = scim.App.Get<UserChangeNotifier>();
        void Record(UserChange change)
        {
            lock (changes)
            {
                changes.Add(change);
            }
        }

        var changesBefore = await CountedChangesAsync(team.Id);
        notifier.Changed += Record;
        try
        {
            var created = await Directory.CreateLocalAdminAsync(team.Id, UniqueName("breakglass"), "a long enough password", Ct);
            Assert.True(created.User is { IsLocal: true, IsAdmin: true, Version: 1 });
        }
        finally
        {
            notifier.Changed -= Record;
        }

        Assert.Single(changes, c => c.TeamId == team.Id);
        Assert.Equal(0, (await client.GetAsync("Users").ExpectAsync(HttpStatusCode.OK)).Total());

        // Inserted as an ordinary row and made local afterwards, it would have been counted, then uncounted.
        Assert.Equal(changesBefore, await CountedChangesAsync(team.Id));
    }

    /// <summary>The SQLite listing's change counter for the team (TeamUserCounts, kept by triggers); 0 without a row.</summary>
    private async Task<long> CountedChangesAsync(Guid teamId)
    {
        await using var db = await scim.App.DbAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Changes\" FROM \"TeamUserCounts\" WHERE \"TeamId\" = upper($team)";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "$team";
        parameter.Value = teamId.ToString();
        command.Parameters.Add(parameter);
        return await command.ExecuteScalarAsync(Ct) is long changes ? changes : 0;
    }
}
