using System.Net;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Users;

/// <summary>
/// A team always keeps an active admin: no deactivation, demotion or deletion by SCIM, the pages or the CLI takes
/// away the last one, even when two of them are removed at the same moment (the rule is decided inside the write).
/// The local admin is deactivated first in each test, so the two IdP-provisioned admins are the only active ones.
/// </summary>
public sealed class LastAdminTests : IAsyncLifetime
{
    private const int Rounds = 20;

    private readonly AppFactory app = new();

    private UserDirectory Directory => app.Get<UserDirectory>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    /// <summary>A team whose only active admins are two IdP-provisioned users; their ids and a SCIM client.</summary>
    private async Task<(TestTeam Team, Guid First, Guid Second, HttpClient Scim)> TwoAdminsAsync(string slug)
    {
        var team = await app.CreateTeamAsync(slug);
        var scim = app.CreateScimClient(team, await app.EnableScimAsync(team));
        var first = Guid.Parse((await scim.CreateUserAsync(UniqueName("first"))).Id());
        var second = Guid.Parse((await scim.CreateUserAsync(UniqueName("second"))).Id());
        Assert.True((await Directory.SetAdminAsync(team.Id, first, true, Ct)).Succeeded);
        Assert.True((await Directory.SetAdminAsync(team.Id, second, true, Ct)).Succeeded);
        var local = await Directory.FindByUserNameAsync(team.Id, team.AdminUserName, Ct);
        Assert.True((await Directory.SetActiveAsync(team.Id, local!.Id, false, UserSource.Admin, Ct)).Succeeded);
        return (team, first, second, scim);
    }

    private async Task<int> ActiveAdminsAsync(Guid teamId)
    {
        var page = await Directory.ListAsync(teamId, u => u.IsAdmin && u.Active, 0, 10, ct: Ct);
        return page.TotalResults;
    }

    [Fact]
    public async Task TwoAdminsDeactivatedAtOnceByScim_OneStaysActive_InEveryRound()
    {
        var (team, first, second, scim) = await TwoAdminsAsync("deactivate");
        var deactivate = Patch("""{"op":"replace","value":{"active":false}}""");
        for (var round = 0; round < Rounds; round++)
        {
            var answers = await Task.WhenAll(
                Task.Run(() => scim.PatchJsonAsync($"Users/{first}", deactivate), Ct),
                Task.Run(() => scim.PatchJsonAsync($"Users/{second}", deactivate), Ct));

            Assert.Equal(1, await ActiveAdminsAsync(team.Id));
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadRequest], answers.Select(a => a.StatusCode).Order());
            var refused = answers.Single(a => a.StatusCode == HttpStatusCode.BadRequest);
            Assert.Contains("last active admin", await refused.ExpectErrorAsync(HttpStatusCode.BadRequest, "mutability"), StringComparison.Ordinal);

            Assert.True((await Directory.SetActiveAsync(team.Id, first, true, UserSource.Admin, Ct)).Succeeded);
            Assert.True((await Directory.SetActiveAsync(team.Id, second, true, UserSource.Admin, Ct)).Succeeded);
        }
    }

    [Fact]
    public async Task TwoAdminsDeletedAtOnceByScim_OneStays_InEveryRound()
    {
        var (team, first, second, scim) = await TwoAdminsAsync("delete");
        for (var round = 0; round < Rounds; round++)
        {
            var answers = await Task.WhenAll(
                Task.Run(() => scim.DeleteAsync($"Users/{first}"), Ct),
                Task.Run(() => scim.DeleteAsync($"Users/{second}"), Ct));

            Assert.Equal(1, await ActiveAdminsAsync(team.Id));
            Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.BadRequest], answers.Select(a => a.StatusCode).Order());

            // Two new admins for the next round; then the survivor goes, so they are again the only active ones.
            var survivor = await Directory.FindAsync(team.Id, first, Ct) is null ? second : first;
            (first, second) = (Guid.Parse((await scim.CreateUserAsync(UniqueName("first"))).Id()), Guid.Parse((await scim.CreateUserAsync(UniqueName("second"))).Id()));
            Assert.True((await Directory.SetAdminAsync(team.Id, first, true, Ct)).Succeeded);
            Assert.True((await Directory.SetAdminAsync(team.Id, second, true, Ct)).Succeeded);
            Assert.Null(await Directory.DeleteAsync(team.Id, survivor, ct: Ct));
        }
    }

    [Fact]
    public async Task AdminsRemovedAtOnceFromThePages_DeactivatedDemotedOrDeleted_OneStays_InEveryRound()
    {
        var (team, first, second, _) = await TwoAdminsAsync("pages");
        for (var round = 0; round < Rounds; round++)
        {
            // What two admins' panels do at the same moment: deactivate one, demote the other (or delete it).
            Task<UserError?> Second() => round % 2 == 0
                ? Task.Run(async () => (await Directory.SetAdminAsync(team.Id, second, false, Ct)).Error, Ct)
                : Task.Run(() => Directory.DeleteAsync(team.Id, second, ct: Ct), Ct);
            var errors = await Task.WhenAll(
                Task.Run(async () => (await Directory.SetActiveAsync(team.Id, first, false, UserSource.Admin, Ct)).Error, Ct),
                Second());

            Assert.Equal(1, await ActiveAdminsAsync(team.Id));
            var refused = Assert.Single(errors, e => e is not null);
            Assert.Equal(UserErrorKind.NotAllowed, refused!.Kind);

            // Back to two active admins for the next round.
            if (await Directory.FindAsync(team.Id, second, Ct) is null)
            {
                second = (await app.CreateUserAsync(team, UniqueName("again"), UserSource.Idp)).Id;
            }

            Assert.True((await Directory.SetAdminAsync(team.Id, second, true, Ct)).Succeeded);
            Assert.True((await Directory.SetActiveAsync(team.Id, first, true, UserSource.Admin, Ct)).Succeeded);
        }
    }

    [Fact]
    public async Task TheLastActiveAdmin_CannotBeDeactivatedDemotedOrDeleted_AndSaysWhy()
    {
        var team = await app.CreateTeamAsync("alone");
        var local = (await Directory.FindByUserNameAsync(team.Id, team.AdminUserName, Ct))!;

        var deactivated = (await Directory.SetActiveAsync(team.Id, local.Id, false, UserSource.Admin, Ct)).Error;
        var demoted = (await Directory.SetAdminAsync(team.Id, local.Id, false, Ct)).Error;
        var deleted = await Directory.DeleteAsync(team.Id, local.Id, ct: Ct);

        Assert.Contains("cannot be deactivated", deactivated?.Detail, StringComparison.Ordinal);
        Assert.Contains("cannot be removed as an admin", demoted?.Detail, StringComparison.Ordinal);
        Assert.Contains("cannot be deleted", deleted?.Detail, StringComparison.Ordinal);
        Assert.All(new[] { deactivated, demoted, deleted }, e => Assert.Equal(UserErrorKind.NotAllowed, e!.Kind));
        Assert.True(await Directory.IsLastActiveAdminAsync(team.Id, local.Id, Ct));
        Assert.True((await Directory.FindAsync(team.Id, local.Id, Ct)) is { Active: true, IsAdmin: true });

        // An inactive admin's changes take nothing away, and a second active admin lifts the rule.
        var other = await app.CreateUserAsync(team, "second");
        Assert.True((await Directory.SetAdminAsync(team.Id, other.Id, true, Ct)).Succeeded);
        Assert.False(await Directory.IsLastActiveAdminAsync(team.Id, local.Id, Ct));
        Assert.True((await Directory.SetActiveAsync(team.Id, local.Id, false, UserSource.Admin, Ct)).Succeeded);
        Assert.True(await Directory.IsLastActiveAdminAsync(team.Id, other.Id, Ct));
        Assert.Null(await Directory.DeleteAsync(team.Id, local.Id, ct: Ct));
    }
}
