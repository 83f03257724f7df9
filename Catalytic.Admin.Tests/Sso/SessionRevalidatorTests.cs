using System.Security.Claims;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Catalytic.Admin.Tests.Sso;

public sealed class SessionRevalidatorTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);
    private readonly AppFactory app = new();
    private TestTeam team = null!;
    private User member = null!;

    private UserDirectory Directory => app.Get<UserDirectory>();

    private UserSessions Sessions => app.Get<UserSessions>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        team = await app.CreateTeamAsync();
        member = await app.CreateUserAsync(team, "dana", UserSource.Idp);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task TheAppsCircuits_UseTheRevalidatingProvider()
    {
        await using var scope = app.Services.CreateAsyncScope();

        Assert.IsType<SessionRevalidator>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
    }

    [Fact]
    public async Task DeactivatingTheUser_EndsTheCircuitsSessionAtOnce()
    {
        using var revalidator = await SignedInAsync(member);
        var ended = WaitForSignOut(revalidator);

        await Directory.SetActiveAsync(team.Id, member.Id, false, UserSource.Idp, Ct);

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
        Assert.False((await revalidator.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task DeletingTheUser_EndsTheCircuitsSessionAtOnce()
    {
        using var revalidator = await SignedInAsync(member);
        var ended = WaitForSignOut(revalidator);

        Assert.Null(await Directory.DeleteAsync(team.Id, member.Id, ct: Ct));

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task RevokingAdmin_EndsTheAdminCircuit()
    {
        var second = await app.CreateUserAsync(team, "erin");
        await Directory.SetAdminAsync(team.Id, second.Id, true, Ct);
        using var revalidator = await SignedInAsync((await Directory.FindAsync(team.Id, second.Id, Ct))!);
        var ended = WaitForSignOut(revalidator);

        await Directory.SetAdminAsync(team.Id, second.Id, false, Ct);

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task ChangesToOtherUsersOrProfileEdits_KeepTheSession()
    {
        var other = await app.CreateUserAsync(team, "erin", UserSource.Idp);
        using var revalidator = await SignedInAsync(member);
        var ended = WaitForSignOut(revalidator);

        await Directory.SetActiveAsync(team.Id, other.Id, false, UserSource.Idp, Ct);
        await Directory.UpdateAsync(team.Id, member.Id, p => p with { DisplayName = "Dana D." }, UserSource.Idp, ct: Ct);
        await Task.Delay(300, Ct);

        Assert.False(ended.IsCompleted);
        Assert.True((await revalidator.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task PeriodicCheck_EndsTheSession_WhenAnotherInstanceDeactivatedTheUser()
    {
        using var revalidator = await SignedInAsync(member, TimeSpan.FromMilliseconds(100));
        var ended = WaitForSignOut(revalidator);

        // Written straight to the database: no in-process notification, as when another instance does it.
        await using (var db = await app.DbAsync())
        {
            await db.Users.Where(u => u.Id == member.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Active, false), Ct);
        }

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task PeriodicCheck_KeepsAnActiveSession()
    {
        using var revalidator = await SignedInAsync(member, TimeSpan.FromMilliseconds(50));
        var ended = WaitForSignOut(revalidator);

        await Task.Delay(400, Ct);

        Assert.False(ended.IsCompleted);
    }

    [Fact]
    public async Task ACircuitWithoutStateYet_IgnoresChanges()
    {
        using var revalidator = new SessionRevalidator(app.Get<ILoggerFactory>(), Directory, app.Get<UserChangeNotifier>(), Sessions);

        await Directory.SetActiveAsync(team.Id, member.Id, false, UserSource.Idp, Ct);
        await Task.Delay(100, Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(revalidator.GetAuthenticationStateAsync);
    }

    [Fact]
    public async Task RevokingTheSession_EndsTheCircuitAtOnce()
    {
        var session = await StartSessionAsync(member);
        using var revalidator = await SignedInAsync(member, session: session);
        var ended = WaitForSignOut(revalidator);

        Assert.True(await Sessions.RevokeAsync(team.Id, session, ct: Ct));

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task RevokingAnotherSessionOfTheUser_KeepsThisCircuit()
    {
        using var revalidator = await SignedInAsync(member, session: await StartSessionAsync(member));
        var other = await StartSessionAsync(member);
        var ended = WaitForSignOut(revalidator);

        Assert.True(await Sessions.RevokeAsync(team.Id, other, ct: Ct));
        await Task.Delay(300, Ct);

        Assert.False(ended.IsCompleted);
        Assert.True((await revalidator.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task PeriodicCheck_EndsTheSession_WhenAnotherInstanceRevokedIt()
    {
        var session = await StartSessionAsync(member);
        using var revalidator = await SignedInAsync(member, TimeSpan.FromMilliseconds(100), session);
        var ended = WaitForSignOut(revalidator);

        // Written straight to the database: no in-process notification, as when another instance does it.
        await using (var db = await app.DbAsync())
        {
            await db.UserSessions.Where(s => s.Id == session).ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, DateTime.UtcNow), Ct);
        }

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task PeriodicCheck_EndsACircuitWithoutSessionId()
    {
        using var revalidator = new SessionRevalidator(app.Get<ILoggerFactory>(), Directory, app.Get<UserChangeNotifier>(), Sessions)
        {
            Interval = TimeSpan.FromMilliseconds(50),
        };
        var ended = WaitForSignOut(revalidator);

        // A principal as cookies carried before sessions were kept server-side.
        revalidator.SetAuthenticationState(Task.FromResult(new AuthenticationState(AuthSetup.CreatePrincipal(member, team.Slug, AuthSetup.SsoMethod))));

        Assert.False((await ended.WaitAsync(Within, Ct)).User.Identity?.IsAuthenticated);
    }

    private async Task<Guid> StartSessionAsync(User user) =>
        (await Sessions.StartAsync(team.Id, user.Id, AuthSetup.SsoMethod, null, null, Ct)).Id;

    private async Task<SessionRevalidator> SignedInAsync(User user, TimeSpan? interval = null, Guid? session = null)
    {
        var revalidator = new SessionRevalidator(app.Get<ILoggerFactory>(), Directory, app.Get<UserChangeNotifier>(), Sessions)
        {
            Interval = interval ?? TimeSpan.FromMinutes(10),
        };
        var principal = AuthSetup.CreatePrincipal(user, team.Slug, AuthSetup.SsoMethod);
        var sessionId = session ?? await StartSessionAsync(user);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(AuthSetup.SessionIdClaim, sessionId.ToString()));
        revalidator.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        return revalidator;
    }

    private static Task<AuthenticationState> WaitForSignOut(SessionRevalidator revalidator)
    {
        var ended = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        revalidator.AuthenticationStateChanged += async state =>
        {
            var next = await state;
            if (next.User.Identity?.IsAuthenticated != true)
            {
                ended.TrySetResult(next);
            }
        };
        return ended.Task;
    }
}
