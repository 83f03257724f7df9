using System.Net;
using Catalytic.Admin.Data;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Tests.Scim;
using Microsoft.EntityFrameworkCore;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Provisioning;

/// <summary>
/// The activity entry of a successful SCIM write is committed with the user row, so it is there when the IdP gets
/// its answer (no flush of the log here unless said); a write that is rolled back leaves no success entry.
/// </summary>
public sealed class EntriesWithWritesTests(ScimTestApp scim) : IClassFixture<ScimTestApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreatePatchPutDelete_EachEntryIsCommittedWhenTheResponseArrives()
    {
        var (team, client) = await scim.NewTeamAsync();
        var created = await client.CreateUserAsync("Durable1", email: "durable1@example.com");
        var id = Guid.Parse(created.Id());
        var entry = Assert.Single(await EntriesAsync(team));
        Assert.Equal(("POST", $"/scim/v2/{team.Slug}/Users", "create", 201, id, "Durable1"), (entry.Method, entry.Path, entry.Operation, entry.Status, entry.UserId, entry.UserName));
        Assert.Null(entry.ErrorType);
        Assert.True(entry.DurationMs >= 0);
        Assert.Equal(DateTimeKind.Utc, entry.At.Kind);

        await client.PatchJsonAsync($"Users/{id}", Patch("""{"op":"replace","path":"active","value":false}""")).ExpectAsync(HttpStatusCode.OK);
        entry = (await EntriesAsync(team))[^1];
        Assert.Equal(("PATCH", $"/scim/v2/{team.Slug}/Users/{id}", "deactivate", 200, id, "Durable1"), (entry.Method, entry.Path, entry.Operation, entry.Status, entry.UserId, entry.UserName));

        await client.PutJsonAsync($"Users/{id}", UserBody("Durable1b", active: false)).ExpectAsync(HttpStatusCode.OK);
        entry = (await EntriesAsync(team))[^1];
        Assert.Equal(("PUT", "replace", 200, id, "Durable1b"), (entry.Method, entry.Operation, entry.Status, entry.UserId, entry.UserName));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"Users/{id}")).StatusCode);
        var entries = await EntriesAsync(team);
        entry = entries[^1];
        Assert.Equal(("DELETE", "delete", 204, id, "Durable1b"), (entry.Method, entry.Operation, entry.Status, entry.UserId, entry.UserName));
        Assert.Equal(4, entries.Count);
    }

    [Fact]
    public async Task CreateRefusedByTheUniqueIndex_LeavesNoSuccessEntry_ItsConflictIsRecordedAfterFlush()
    {
        var (team, client) = await scim.NewTeamAsync();
        await client.CreateUserAsync("taken");

        await client.PostJsonAsync("Users", UserBody("TAKEN")).ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
        Assert.DoesNotContain(await EntriesAsync(team), e => e.UserName == "TAKEN" && e.Succeeded);

        await scim.App.Get<ProvisioningLog>().FlushAsync(Ct);
        var refused = Assert.Single(await EntriesAsync(team), e => e.UserName == "TAKEN");
        Assert.Equal((409, "create", "uniqueness"), (refused.Status, refused.Operation, refused.ErrorType));

        // The id the refused user would have had was never saved, so the entry names none.
        Assert.Null(refused.UserId);
    }

    [Fact]
    public async Task ManyWritesInOneGroup_SomeRefused_EntriesExactlyForTheSuccessfulOnes()
    {
        var (team, client) = await scim.NewTeamAsync();
        var first = Guid.Parse((await client.CreateUserAsync("grouped1")).Id());
        var second = Guid.Parse((await client.CreateUserAsync("grouped2")).Id());
        var commits = scim.App.Get<GroupCommit>();

        // While the turn is held, every write queues; released, they are written as one group.
        var requests = new List<(string Method, Task<HttpResponseMessage> Response)>();
        using (await scim.App.Get<DatabaseWriteGate>().EnterAsync(Ct))
        {
            foreach (var name in Enumerable.Range(0, 30).Select(i => $"crowd{i:D2}").Concat(["CROWD07", "Crowd21", "GROUPED1"]))
            {
                requests.Add(("POST", client.PostJsonAsync("Users", UserBody(name))));
            }

            requests.Add(("PATCH", client.PatchJsonAsync($"Users/{first}", Patch("""{"op":"replace","path":"userName","value":"grouped2"}"""))));
            requests.Add(("PATCH", client.PatchJsonAsync($"Users/{second}", Patch("""{"op":"replace","path":"displayName","value":"Second"}"""))));
            for (var waited = 0; commits.Queued < requests.Count; waited++)
            {
                Assert.True(waited < 1000, $"Only {commits.Queued} of {requests.Count} writes reached the group commit.");
                await Task.Delay(10, Ct);
            }
        }

        var answered = new List<(string Method, HttpStatusCode Status, Guid UserId)>();
        foreach (var (method, response) in requests)
        {
            var answer = await response;
            var body = await answer.Content.ReadAsStringAsync(Ct);
            var userId = answer.IsSuccessStatusCode ? Guid.Parse(System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!) : Guid.Empty;
            answered.Add((method, answer.StatusCode, userId));
        }

        Assert.Equal(4, answered.Count(a => a.Status == HttpStatusCode.Conflict)); // CROWD07, Crowd21, GROUPED1, the rename to grouped2
        var succeeded = answered.Where(a => a.Status is HttpStatusCode.Created or HttpStatusCode.OK)
            .Select(a => (a.Method, (int)a.Status, (Guid?)a.UserId)).Order().ToList();
        Assert.Equal(31, succeeded.Count);
        var entries = (await EntriesAsync(team)).Skip(2).Where(e => e.Succeeded).Select(e => (e.Method, e.Status, e.UserId)).Order().ToList();
        Assert.Equal(succeeded, entries);
    }

    [Fact]
    public async Task SuccessfulWrite_TellsThePagesAtOnce()
    {
        var (team, client) = await scim.NewTeamAsync();
        var told = new List<Guid>();
        void OnRecorded(IReadOnlyCollection<Guid> teams)
        {
            lock (told)
            {
                told.AddRange(teams);
            }
        }

        var log = scim.App.Get<ProvisioningLog>();
        log.Recorded += OnRecorded;
        try
        {
            await client.CreateUserAsync("announced");
            lock (told)
            {
                Assert.Contains(team.Id, told);
            }
        }
        finally
        {
            log.Recorded -= OnRecorded;
        }
    }

    private async Task<List<ProvisioningEvent>> EntriesAsync(TestTeam team)
    {
        await using var db = await scim.App.DbAsync();
        return await db.ProvisioningEvents.AsNoTracking().Where(e => e.TeamId == team.Id).OrderBy(e => e.Id).ToListAsync(Ct);
    }
}
