using System.Net;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Tests.Scim;
using Microsoft.EntityFrameworkCore;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Data;

/// <summary>
/// The same rules on PostgreSQL: migrations, case-insensitive unique indexes, filters, encrypted secrets.
/// Needs a server: CATALYTIC_TEST_POSTGRES is a connection string to a database the tests may create databases
/// from (.ci/run starts a throwaway cluster). Without it the tests skip, unless CATALYTIC_REQUIRE_POSTGRES=1.
/// </summary>
public sealed class PostgresTests : IAsyncLifetime
{
    private readonly PostgresScimApp postgres = new();

    public ValueTask InitializeAsync() => postgres.InitializeAsync();

    public ValueTask DisposeAsync() => postgres.DisposeAsync();

    private HttpClient Client() => postgres.Client();

    [Fact]
    public async Task Postgres_CreateFilterConflictPatchDelete_FollowTheRules()
    {
        using var client = Client();
        var created = await client.CreateUserAsync("ErikaM", email: "erika@example.com", externalId: "00u1");

        var found = await client.FilterAsync("userName eq \"erikam\"");
        Assert.Equal(1, found.Total());
        Assert.Equal(created.Id(), found.Resources()[0].Id());

        var byEmail = await client.FilterAsync("emails[type eq \"work\"].value eq \"ERIKA@example.com\"");
        Assert.Equal(1, byEmail.Total());

        var detail = await client.PostJsonAsync("Users", UserBody("ERIKAM")).ExpectErrorAsync(HttpStatusCode.Conflict, ScimErrorType.Uniqueness);
        Assert.Contains("userName", detail, StringComparison.Ordinal);
        await client.PostJsonAsync("Users", UserBody("Someone", email: "Erika@Example.com")).ExpectErrorAsync(HttpStatusCode.Conflict, ScimErrorType.Uniqueness);

        var patched = await client.PatchJsonAsync($"Users/{created.Id()}", Patch("""{"op":"Replace","path":"active","value":"False"}"""))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.False(patched.GetProperty("active").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"Users/{created.Id()}")).StatusCode);
        await client.GetAsync($"Users/{created.Id()}").ExpectErrorAsync(HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task Postgres_ParallelCreatesOfOneUserName_ExactlyOneWins()
    {
        using var client = Client();
        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.PostJsonAsync("Users", UserBody("RaceUser"))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(15, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task Postgres_LocalAdminOutsideScim_AndTwoAdminsDeactivatedAtOnce_OneStaysActive()
    {
        using var client = Client();
        var users = postgres.App.Get<Catalytic.Admin.Users.UserDirectory>();
        var local = (await users.FindByUserNameAsync(postgres.Team.Id, postgres.Team.AdminUserName))!;
        Assert.Equal(0, (await client.FilterAsync($"userName eq \"{postgres.Team.AdminUserName}\"")).Total());
        Assert.DoesNotContain((await client.GetAsync("Users?count=100").ExpectAsync(HttpStatusCode.OK)).Resources(), r => r.Id() == local.Id.ToString());
        await client.GetAsync($"Users/{local.Id}").ExpectErrorAsync(HttpStatusCode.NotFound, null);
        await client.PostJsonAsync("Users", UserBody(postgres.Team.AdminUserName)).ExpectErrorAsync(HttpStatusCode.Conflict, ScimErrorType.Uniqueness);

        var first = Guid.Parse((await client.CreateUserAsync("FirstAdmin")).Id());
        var second = Guid.Parse((await client.CreateUserAsync("SecondAdmin")).Id());
        Assert.True((await users.SetAdminAsync(postgres.Team.Id, first, true)).Succeeded);
        Assert.True((await users.SetAdminAsync(postgres.Team.Id, second, true)).Succeeded);
        Assert.True((await users.SetActiveAsync(postgres.Team.Id, local.Id, false, Catalytic.Admin.Users.UserSource.Admin)).Succeeded);
        var deactivate = Patch("""{"op":"replace","value":{"active":false}}""");
        for (var round = 0; round < 20; round++)
        {
            var answers = await Task.WhenAll(
                Task.Run(() => client.PatchJsonAsync($"Users/{first}", deactivate)),
                Task.Run(() => client.PatchJsonAsync($"Users/{second}", deactivate)));

            Assert.Equal(1, (await users.ListAsync(postgres.Team.Id, u => u.IsAdmin && u.Active, 0, 10)).TotalResults);
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadRequest], answers.Select(a => a.StatusCode).Order());
            Assert.True((await users.SetActiveAsync(postgres.Team.Id, first, true, Catalytic.Admin.Users.UserSource.Admin)).Succeeded);
            Assert.True((await users.SetActiveAsync(postgres.Team.Id, second, true, Catalytic.Admin.Users.UserSource.Admin)).Succeeded);
        }
    }

    [Fact]
    public async Task Postgres_TokenRevealAfterRotation_UsesKeysStoredInTheDatabase()
    {
        using var client = Client();
        var rotated = await postgres.App.Get<ScimTokenService>().RotateAsync(postgres.Team.Id, TimeSpan.Zero);
        Assert.Equal(rotated, await postgres.App.Get<ScimTokenService>().RevealCurrentAsync(postgres.Team.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("ServiceProviderConfig")).StatusCode);
    }

    [Fact]
    public async Task Postgres_ActivityLog_SavesEveryScimRequestWithItsUser()
    {
        using var client = Client();
        var created = await client.CreateUserAsync("LogUser", email: "log@example.com", externalId: "00u9");
        var id = Guid.Parse(created.Id());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"Users/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"Users/{Guid.NewGuid()}")).StatusCode);

        var log = postgres.App.Get<Catalytic.Admin.Provisioning.ProvisioningLog>();
        await log.FlushAsync(TestContext.Current.CancellationToken);
        var events = await log.ListAsync(postgres.Team.Id, new Catalytic.Admin.Provisioning.ActivityQuery(), TestContext.Current.CancellationToken);

        var create = Assert.Single(events, e => e.Operation == "create");
        Assert.Equal(201, create.Status);
        Assert.Equal(id, create.UserId);
        Assert.Equal("LogUser", create.UserName);
        Assert.Equal(DateTimeKind.Utc, create.At.Kind);
        Assert.Contains(events, e => e.Status == 404 && e.Detail is not null);
        var forUser = await log.ListAsync(postgres.Team.Id, new Catalytic.Admin.Provisioning.ActivityQuery { UserId = id }, TestContext.Current.CancellationToken);
        Assert.Equal(["get", "create"], forUser.Select(e => e.Operation));
    }

    [Fact]
    public async Task Postgres_SuccessfulWrites_CommitTheirEntryInTheSameSaveChanges_ARefusedOneLeavesNone()
    {
        using var client = Client();
        var id = Guid.Parse((await client.CreateUserAsync("WithEntry")).Id());
        await client.PatchJsonAsync($"Users/{id}", Patch("""{"op":"replace","path":"displayName","value":"W"}""")).ExpectAsync(HttpStatusCode.OK);
        await client.PostJsonAsync("Users", UserBody("WITHENTRY")).ExpectErrorAsync(HttpStatusCode.Conflict, ScimErrorType.Uniqueness);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"Users/{id}")).StatusCode);

        // Read right after the answers, without flushing the log: the write entries are there, the refusal is not.
        await using var db = await postgres.App.DbAsync();
        var entries = await db.ProvisioningEvents.Where(e => e.TeamId == postgres.Team.Id && e.Status < 400).OrderBy(e => e.Id).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal([("POST", 201, id), ("PATCH", 200, id), ("DELETE", 204, id)], entries.Select(e => (e.Method, e.Status, e.UserId!.Value)));
        Assert.DoesNotContain(entries, e => e.UserName == "WITHENTRY");
    }

    [Fact]
    public void Postgres_HotPathReads_AreEfCompiledQueries()
    {
        using var client = Client();
        Assert.IsType<Catalytic.Admin.Data.EfHotPathReads>(postgres.App.Get<Catalytic.Admin.Data.IHotPathReads>());
    }
}
