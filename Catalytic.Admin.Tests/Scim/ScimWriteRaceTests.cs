using System.Net;
using System.Text.Json;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// Real concurrent requests against one user, as an IdP's retries and parallel workers send them. What a client was
/// told succeeded stays done; 412 only for the client's own If-Match; 404 on DELETE only when the user is gone.
/// The same races run on SQLite (<see cref="ScimWriteRaceTests"/>) and PostgreSQL (<see cref="PostgresScimWriteRaceTests"/>).
/// </summary>
public abstract class ScimWriteRaces
{
    protected abstract HttpClient Client();

    private const string Deactivate = """{"op":"replace","path":"active","value":false}""";

    private static string ReplaceDisplayName(string value) =>
        $$"""{"op":"replace","path":"displayName","value":"{{value}}"}""";

    [Fact]
    public async Task DeleteRacingFifteenPatches_AlwaysDeletes_AndTheUserIsGone()
    {
        var client = Client();
        for (var round = 0; round < 20; round++)
        {
            var id = (await client.CreateUserAsync(UniqueName())).Id();
            var patches = Enumerable.Range(0, 15).Select(_ => client.PatchJsonAsync($"Users/{id}", Patch(Deactivate))).ToList();
            var delete = client.DeleteAsync($"Users/{id}");
            await Task.WhenAll([.. patches, delete]);

            Assert.Equal(HttpStatusCode.NoContent, (await delete).StatusCode);
            foreach (var patch in patches)
            {
                // Before the delete: 200; after it: the user is really gone.
                Assert.Contains((await patch).StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound });
            }

            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"Users/{id}")).StatusCode);
        }
    }

    [Fact]
    public async Task SixteenPatchesWithoutIfMatch_AllSucceed_WithDistinctVersions_AndTheLastOneWins()
    {
        var client = Client();
        for (var round = 0; round < 5; round++)
        {
            var id = (await client.CreateUserAsync(UniqueName())).Id();
            var patches = Enumerable.Range(0, 16)
                .Select(i => client.PatchJsonAsync($"Users/{id}", Patch(ReplaceDisplayName($"Name {i}"))))
                .ToList();
            var responses = await Task.WhenAll(patches);

            var bodies = new List<JsonElement>();
            foreach (var response in responses)
            {
                bodies.Add(await response.ExpectAsync(HttpStatusCode.OK));
            }

            var versions = bodies.Select(b => b.GetProperty("meta").GetProperty("version").GetString()).ToList();
            Assert.Equal(16, versions.Distinct().Count());

            // A serial order exists: the answer with the highest version is what the user is now.
            var last = bodies.MaxBy(VersionNumber);
            var now = await client.GetAsync($"Users/{id}").ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(last.Str("displayName"), now.Str("displayName"));
            Assert.Equal(VersionNumber(last), VersionNumber(now));
        }
    }

    [Fact]
    public async Task PatchWithAStaleIfMatch_Is412_AndChangesNothing()
    {
        var client = Client();
        var created = await client.CreateUserAsync(UniqueName());
        var id = created.Id();
        var staleETag = created.GetProperty("meta").GetProperty("version").GetString()!;
        await client.PatchJsonAsync($"Users/{id}", Patch(ReplaceDisplayName("First"))).ExpectAsync(HttpStatusCode.OK);

        using var request = new HttpRequestMessage(HttpMethod.Patch, $"Users/{id}")
        {
            Content = new StringContent(Patch(ReplaceDisplayName("Second")), System.Text.Encoding.UTF8, Admin.Scim.ScimJson.MediaType),
        };
        request.Headers.TryAddWithoutValidation("If-Match", staleETag);
        await (await client.SendAsync(request, TestContext.Current.CancellationToken)).ExpectErrorAsync(HttpStatusCode.PreconditionFailed, null);

        var now = await client.GetAsync($"Users/{id}").ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("First", now.Str("displayName"));
    }

    /// <summary>
    /// PATCH, PUT and DELETE mixed on one user: the outcome is one a serial order of the acknowledged requests
    /// gives — gone if a DELETE was acknowledged, else exactly the answer with the highest version.
    /// </summary>
    [Fact]
    public async Task MixedPatchPutDelete_EndInAStateThatASerialOrderGives()
    {
        var client = Client();
        var random = new Random(20261203);
        for (var round = 0; round < 15; round++)
        {
            var userName = UniqueName();
            var id = (await client.CreateUserAsync(userName)).Id();
            var withDelete = random.Next(2) == 0;
            var requests = new List<(string Kind, Task<HttpResponseMessage> Response)>();
            for (var i = 0; i < 12; i++)
            {
                requests.Add(random.Next(3) switch
                {
                    0 => ("put", client.PutJsonAsync($"Users/{id}", UserBody(userName, givenName: $"Given{i}", familyName: $"Family{i}"))),
                    1 => ("patch", client.PatchJsonAsync($"Users/{id}", Patch(ReplaceDisplayName($"Display {i}")))),
                    _ => ("patch", client.PatchJsonAsync($"Users/{id}", Patch(Deactivate))),
                });
                if (withDelete && i == 6)
                {
                    requests.Add(("delete", client.DeleteAsync($"Users/{id}")));
                }
            }

            await Task.WhenAll(requests.Select(r => r.Response));
            var now = await client.GetAsync($"Users/{id}");
            if (withDelete)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await requests.Single(r => r.Kind == "delete").Response).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, now.StatusCode);
                continue;
            }

            var answers = new List<JsonElement>();
            foreach (var (_, response) in requests)
            {
                answers.Add(await (await response).ExpectAsync(HttpStatusCode.OK));
            }

            var current = await now.ExpectAsync(HttpStatusCode.OK);
            var last = answers.MaxBy(VersionNumber);
            Assert.Equal(answers.Count, answers.Select(VersionNumber).Distinct().Count());
            Assert.Equal(VersionNumber(last), VersionNumber(current));
            Assert.Equal(last.GetRawText(), current.GetRawText());
        }
    }

    [Fact]
    public async Task SixteenIdenticalCreates_GiveOne201_AndFifteen409()
    {
        var client = Client();
        for (var round = 0; round < 5; round++)
        {
            var userName = UniqueName();
            var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.PostJsonAsync("Users", UserBody(userName))));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            {
                await refused.ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
            }

            Assert.Equal(1, (await client.FilterAsync($"userName eq \"{userName}\"")).Total());
        }
    }

    private static int VersionNumber(JsonElement resource) =>
        int.Parse(resource.GetProperty("meta").GetProperty("version").GetString()!.Trim('W', '/', '"'), System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class ScimWriteRaceTests(ScimTestApp scim) : ScimWriteRaces, IClassFixture<ScimTestApp>
{
    protected override HttpClient Client() => scim.Client();
}

public sealed class PostgresScimWriteRaceTests(PostgresScimApp postgres) : ScimWriteRaces, IClassFixture<PostgresScimApp>
{
    protected override HttpClient Client() => postgres.Client();
}
