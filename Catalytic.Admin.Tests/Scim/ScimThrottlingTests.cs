using System.Net;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// The per-token and the per-source (failed authentication) limits. The limiters run on real time, so the
/// limits here are slow enough (one request per 1000 s, three refusals a minute) that no test depends on timing.
/// Each test has its own app: the limits are configured at start-up.
/// </summary>
public sealed class ScimThrottlingTests : IAsyncLifetime
{
    private static readonly IPAddress SourceA = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress SourceB = IPAddress.Parse("203.0.113.11");

    private readonly AppFactory app = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task TokenOverItsLimit_Gets429WithRetryAfter_RecordedAsActivity_OtherTeamUnaffected()
    {
        app.WithSetting("Catalytic:Scim:RateLimit:PermitsPerSecond", "0.001").WithSetting("Catalytic:Scim:RateLimit:Burst", "3");
        var (acme, acmeToken) = await TeamAsync("acme");
        var (globex, globexToken) = await TeamAsync("globex");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await app.SendFromAsync(SourceA, acme.Slug, acmeToken)).Status);
        }

        var detail = (await app.SendFromAsync(SourceA, acme.Slug, acmeToken)).AssertTooManyRequests();
        Assert.Contains("requests per second", detail, StringComparison.Ordinal);
        Assert.Equal(200, (await app.SendFromAsync(SourceA, globex.Slug, globexToken)).Status);

        // The token holder's 429 is a normal entry of its team's activity, with a hint.
        var log = app.Get<ProvisioningLog>();
        await log.FlushAsync(Ct);
        var throttled = Assert.Single(await log.ListAsync(acme.Id, new ActivityQuery { Succeeded = false }, Ct));
        Assert.Equal(429, throttled.Status);
        Assert.Equal(detail, throttled.Detail);
        Assert.Contains("RateLimit", ActivityHints.For(throttled)!.Text, StringComparison.Ordinal);
        Assert.Empty(await log.ListAsync(globex.Id, new ActivityQuery { Succeeded = false }, Ct));
    }

    [Fact]
    public async Task SourceAfterTooManyBadTokens_Gets429ForBadTokens_ButAValidTokenAlwaysPasses()
    {
        app.WithSetting("Catalytic:Scim:FailedAuthLimit:PerMinute", "3");
        var (acme, token) = await TeamAsync("acme");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await app.SendFromAsync(SourceA, acme.Slug, "scim_guess" + i)).Status);
        }

        var detail = (await app.SendFromAsync(SourceA, acme.Slug, "scim_guess")).AssertTooManyRequests();
        Assert.Contains("SSO Settings", detail, StringComparison.Ordinal);
        (await app.SendFromAsync(SourceA, acme.Slug, null)).AssertTooManyRequests();
        // An IdP shares its addresses with strangers: whoever sends bad tokens from them cannot lock it out.
        Assert.Equal(200, (await app.SendFromAsync(SourceA, acme.Slug, token)).Status);
        Assert.Equal(200, (await app.SendFromAsync(SourceB, acme.Slug, token)).Status);

        // The refused and the throttled requests are counted for the source, not logged as activity.
        await app.Get<ProvisioningLog>().FlushAsync(Ct);
        await app.Get<ScimAuthFailureLog>().FlushAsync(Ct);
        await using var db = await app.DbAsync();
        var counter = Assert.Single(await db.ScimAuthFailureCounts.Where(c => c.TeamId == acme.Id).ToListAsync(Ct));
        Assert.Equal(("203.0.113.10", 5L), (counter.Source, counter.Count));
        Assert.Equal([200, 200], await db.ProvisioningEvents.Where(e => e.TeamId == acme.Id).Select(e => e.Status).ToListAsync(Ct));
    }

    [Fact]
    public async Task IPv6Clients_CountByTheir64Network()
    {
        app.WithSetting("Catalytic:Scim:FailedAuthLimit:PerMinute", "2");
        var (acme, token) = await TeamAsync("acme");

        Assert.Equal(401, (await app.SendFromAsync(IPAddress.Parse("2001:db8:1:2::1"), acme.Slug, "scim_a")).Status);
        Assert.Equal(401, (await app.SendFromAsync(IPAddress.Parse("2001:db8:1:2:ffff::9"), acme.Slug, "scim_b")).Status);

        (await app.SendFromAsync(IPAddress.Parse("2001:db8:1:2:abcd::1"), acme.Slug, "scim_c")).AssertTooManyRequests();
        Assert.Equal(200, (await app.SendFromAsync(IPAddress.Parse("2001:db8:1:2:abcd::1"), acme.Slug, token)).Status);
        Assert.Equal(200, (await app.SendFromAsync(IPAddress.Parse("2001:db8:1:3::1"), acme.Slug, token)).Status);
        await app.Get<ScimAuthFailureLog>().FlushAsync(Ct);
        await using var db = await app.DbAsync();
        Assert.Equal("2001:db8:1:2::/64", (await db.ScimAuthFailureCounts.SingleAsync(c => c.TeamId == acme.Id, Ct)).Source);
    }

    [Fact]
    public async Task LimitsSetToZero_AreOff()
    {
        app.WithSetting("Catalytic:Scim:RateLimit:PermitsPerSecond", "0").WithSetting("Catalytic:Scim:RateLimit:Burst", "1")
            .WithSetting("Catalytic:Scim:FailedAuthLimit:PerMinute", "0");
        var (acme, token) = await TeamAsync("acme");

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(401, (await app.SendFromAsync(SourceA, acme.Slug, "scim_guess" + i)).Status);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await app.SendFromAsync(SourceA, acme.Slug, token)).Status);
        }
    }

    private async Task<(TestTeam Team, string Token)> TeamAsync(string slug)
    {
        var team = await app.CreateTeamAsync(slug);
        return (team, await app.EnableScimAsync(team));
    }
}
