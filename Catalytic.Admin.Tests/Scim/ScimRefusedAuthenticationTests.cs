using System.Net;
using System.Text;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// Nobody without a token writes into a team's activity log: refused requests are only counted per team and
/// source, with the default limits (30 refusals a minute per source, then 429).
/// </summary>
public sealed class ScimRefusedAuthenticationTests : ScimTestApp
{
    private const string Marker = "EvilMarker7";
    private const string TokenMarker = "EvilToken9";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WrongToken500Times_LeavesNoActivity_OneCounterOf500_AndNoAttackerText()
    {
        var (team, _) = await NewTeamAsync();
        var source = IPAddress.Parse("203.0.113.7");
        var statuses = new List<int>();
        for (var i = 0; i < 500; i++)
        {
            var answer = await App.SendFromAsync(source, team.Slug, $"{ScimTokenService.TokenPrefix}{TokenMarker}{i}", $"Users/{Marker}?filter=userName%20eq%20%22{Marker}%22");
            statuses.Add(answer.Status);
        }

        await FlushAsync();

        // The default limit: 30 refusals, then 429 for the rest of the minute.
        Assert.Equal(Enumerable.Repeat(401, 30).Concat(Enumerable.Repeat(429, 470)), statuses);
        await using var db = await App.DbAsync();
        Assert.Equal(0, await db.ProvisioningEvents.CountAsync(e => e.TeamId == team.Id, Ct));
        var counter = Assert.Single(await db.ScimAuthFailureCounts.Where(c => c.TeamId == team.Id).ToListAsync(Ct));
        Assert.Equal("203.0.113.7", counter.Source);
        Assert.Equal(500, counter.Count);
        Assert.True(counter.FirstAt <= counter.LastAt);

        // Neither the path, the query nor the token reached the database file; the token is not in the log either
        // (the framework's request log names the URL, as for any request).
        await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)", Ct);
        foreach (var file in new[] { App.DatabasePath, App.DatabasePath + "-wal" }.Where(File.Exists))
        {
            var stored = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file, Ct));
            Assert.DoesNotContain(Marker, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(TokenMarker, stored, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(App.Logs.Lines, line => line.Contains(TokenMarker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownTeamSlug_IsRefusedButNotRecordedAtAll()
    {
        var source = IPAddress.Parse("198.51.100.20");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(401, (await App.SendFromAsync(source, "nosuchteam", Token)).Status);
        }

        await FlushAsync();

        await using var db = await App.DbAsync();
        Assert.False(await db.ScimAuthFailureCounts.AnyAsync(c => c.Source == "198.51.100.20", Ct));
        Assert.False(await db.ProvisioningEvents.AnyAsync(e => e.Path.Contains("nosuchteam"), Ct));
    }

    [Fact]
    public async Task EveryKindOfRefusal_IsCountedForTheTeamInTheUrl_NeverAsActivity()
    {
        var (team, _) = await NewTeamAsync();
        var (other, _) = await NewTeamAsync();
        var otherToken = await App.Get<ScimTokenService>().RevealCurrentAsync(other.Id);
        var source = IPAddress.Parse("192.0.2.44");

        Assert.Equal(401, (await App.SendFromAsync(source, team.Slug, null)).Status); // missing
        Assert.Equal(401, (await App.SendFromAsync(source, team.Slug, "scim_unknown")).Status); // unknown
        Assert.Equal(401, (await App.SendFromAsync(source, team.Slug, otherToken)).Status); // another team's
        var revoked = await App.Get<ScimTokenService>().RevealCurrentAsync(team.Id);
        await App.Get<ScimTokenService>().RotateAsync(team.Id, TimeSpan.Zero, Ct);
        Assert.Equal(401, (await App.SendFromAsync(source, team.Slug, revoked)).Status); // revoked
        await FlushAsync();

        await using var db = await App.DbAsync();
        Assert.Equal(4, (await db.ScimAuthFailureCounts.SingleAsync(c => c.TeamId == team.Id, Ct)).Count);
        Assert.False(await db.ScimAuthFailureCounts.AnyAsync(c => c.TeamId == other.Id, Ct));
        Assert.False(await db.ProvisioningEvents.AnyAsync(e => e.TeamId == team.Id || e.TeamId == other.Id, Ct));
    }

    [Fact]
    public async Task AcceptedRequests_AreStillRecordedAsActivity()
    {
        var (team, client) = await NewTeamAsync();
        await client.GetAsync("Users").ExpectAsync(HttpStatusCode.OK);
        await FlushAsync();

        var recorded = await App.Get<ProvisioningLog>().ListAsync(team.Id, new ActivityQuery(), Ct);
        Assert.Contains(recorded, e => e.Status == 200 && e.Path == $"/scim/v2/{team.Slug}/Users");
    }

    private async Task FlushAsync()
    {
        await App.Get<ProvisioningLog>().FlushAsync(Ct);
        await App.Get<ScimAuthFailureLog>().FlushAsync(Ct);
    }
}
