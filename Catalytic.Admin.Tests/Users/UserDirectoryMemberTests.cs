using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Tests.Users;

public sealed class UserDirectoryMemberTests : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private TestTeam team = null!;

    private UserDirectory Directory => app.Get<UserDirectory>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => team = await app.CreateTeamAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ProvisionedUser_GetsTheTeamsDefaults_AndCanChangeThem()
    {
        await app.Get<ScimTokenService>().SaveDefaultsAsync(team.Id, new ProvisioningDefaults(EmailNotifications.None, WeeklyDigest: false, ShowWelcomeTour: true), Ct);
        var user = await app.CreateUserAsync(team, "dana", UserSource.Idp);
        Assert.Equal(EmailNotifications.None, user.EmailNotifications);
        Assert.False(user.WeeklyDigest);

        var error = await Directory.SaveNotificationSettingsAsync(team.Id, user.Id, new NotificationSettings(EmailNotifications.All, WeeklyDigest: true), Ct);

        Assert.Null(error);
        var saved = await Directory.FindAsync(team.Id, user.Id, Ct);
        Assert.Equal(EmailNotifications.All, saved!.EmailNotifications);
        Assert.True(saved.WeeklyDigest);
        Assert.Equal(user.Version, saved.Version); // a preference is not a SCIM change
    }

    [Fact]
    public async Task SaveNotificationSettings_WithUnknownSetting_IsRefusedAndChangesNothing()
    {
        var user = await app.CreateUserAsync(team, "dana", UserSource.Idp);

        var error = await Directory.SaveNotificationSettingsAsync(team.Id, user.Id, new NotificationSettings((EmailNotifications)42, true), Ct);

        Assert.Equal(UserErrorKind.InvalidValue, error?.Kind);
        Assert.Equal(user.EmailNotifications, (await Directory.FindAsync(team.Id, user.Id, Ct))!.EmailNotifications);
    }

    [Fact]
    public async Task SaveNotificationSettings_ForDeletedUserOrOtherTeam_IsNotFound()
    {
        var user = await app.CreateUserAsync(team, "dana", UserSource.Idp);
        var other = await app.CreateTeamAsync("globex");
        Assert.Equal(UserErrorKind.NotFound, (await Directory.SaveNotificationSettingsAsync(other.Id, user.Id, new NotificationSettings(EmailNotifications.All, true), Ct))?.Kind);

        await Directory.DeleteAsync(team.Id, user.Id, ct: Ct);

        Assert.Equal(UserErrorKind.NotFound, (await Directory.SaveNotificationSettingsAsync(team.Id, user.Id, new NotificationSettings(EmailNotifications.All, true), Ct))?.Kind);
    }

    [Fact]
    public async Task CompleteWelcomeTour_RecordsTheFirstCompletionOnly()
    {
        var user = await app.CreateUserAsync(team, "dana", UserSource.Idp);
        Assert.True(user.ShowWelcomeTour);
        Assert.Null(user.WelcomeTourCompletedAt);

        Assert.Null(await Directory.CompleteWelcomeTourAsync(team.Id, user.Id, Ct));
        var first = (await Directory.FindAsync(team.Id, user.Id, Ct))!.WelcomeTourCompletedAt;
        app.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Null(await Directory.CompleteWelcomeTourAsync(team.Id, user.Id, Ct));

        Assert.NotNull(first);
        Assert.Equal(first, (await Directory.FindAsync(team.Id, user.Id, Ct))!.WelcomeTourCompletedAt);
    }

    [Fact]
    public async Task CompleteWelcomeTour_ForUnknownUser_IsNotFound()
    {
        var error = await Directory.CompleteWelcomeTourAsync(team.Id, Guid.NewGuid(), Ct);

        Assert.Equal(UserErrorKind.NotFound, error?.Kind);
    }
}
