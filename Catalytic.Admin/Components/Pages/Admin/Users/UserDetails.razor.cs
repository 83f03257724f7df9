using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Catalytic.Admin.Components.Pages.Admin.Users;

/// <summary>
/// The drawer's content: one user's stored attributes, the admin's actions on them and the user's SCIM history.
/// Every action rereads the user first, so an admin acting on a stale view gets told what changed instead of
/// undoing someone else's work.
/// </summary>
public sealed partial class UserDetails
{
    private const int HistorySize = 20;

    [Inject] private UserDirectory Directory { get; set; } = default!;
    [Inject] private ProvisioningLog Log { get; set; } = default!;
    [Inject] private UserSessions Sessions { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [Parameter, EditorRequired] public required Guid TeamId { get; set; }
    [Parameter, EditorRequired] public required Guid UserId { get; set; }

    /// <summary>The signed-in admin: they may not lock themselves out from here.</summary>
    [Parameter] public Guid? CurrentUserId { get; set; }

    /// <summary>Raised after this panel changed or deleted the user, so the list reloads at once.</summary>
    [Parameter] public EventCallback OnChanged { get; set; }

    [Parameter] public EventCallback OnClose { get; set; }

    private User? user;
    private IReadOnlyList<ProvisioningEvent> history = [];
    private Guid? loadedFor;
    private bool loaded;
    private bool busy;
    private bool lastAdmin;
    private string? error;
    private string? notice;

    private bool IsSelf => CurrentUserId == UserId;

    protected override async Task OnParametersSetAsync()
    {
        if (loadedFor != UserId)
        {
            loadedFor = UserId;
            loaded = false;
            error = notice = null;
            await ReloadAsync();
        }
    }

    /// <summary>Rereads the user and its history, e.g. after a SCIM change.</summary>
    public async Task ReloadAsync()
    {
        user = await Directory.FindAsync(TeamId, UserId);
        lastAdmin = await IsLastAdminAsync(user);
        history = user is null ? [] : await Log.ListAsync(TeamId, new ActivityQuery { UserId = UserId, Take = HistorySize });
        loaded = true;
        StateHasChanged();
    }

    private async Task EditAsync()
    {
        if (await CurrentAsync() is not { } current)
        {
            return;
        }

        if (current.Source == UserSource.Idp && !await ConfirmAsync(
                "Edit an IdP-managed user?",
                $"{current.UserName} is provisioned by your identity provider. Change the profile there: an edit made here lasts only until the IdP's next sync overwrites it.",
                "Edit anyway"))
        {
            return;
        }

        var parameters = new DialogParameters<UserFormDialog>
        {
            { d => d.TeamId, TeamId },
            { d => d.Existing, current },
        };
        var dialog = await Dialogs.ShowAsync<UserFormDialog>($"Edit {current.UserName}", parameters, UserFormDialog.Options);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add($"{current.UserName} saved", Severity.Success);
            await ChangedAsync();
        }
        else
        {
            await ReloadAsync();
        }
    }

    private async Task SetActiveAsync(bool active)
    {
        if (await CurrentAsync() is not { } current)
        {
            return;
        }

        if (!active && !await ConfirmAsync(
                $"Deactivate {current.UserName}?",
                $"{current.UserName} can no longer sign in, and their open sessions end within seconds. Nothing is deleted; you can reactivate the account later."
                + (current.Source == UserSource.Idp ? " The IdP may reactivate it on its next sync unless you also unassign the person there." : ""),
                "Deactivate"))
        {
            return;
        }

        await RunAsync(async () =>
        {
            // Reread after the confirmation: another admin or the IdP may have acted while it was open.
            if (await CurrentAsync() is not { } fresh)
            {
                return;
            }

            if (fresh.Active == active)
            {
                notice = $"{fresh.UserName} is already {(active ? "active" : "deactivated")}: someone else changed it a moment ago.";
                return;
            }

            var result = await Directory.SetActiveAsync(TeamId, UserId, active, UserSource.Admin);
            await AfterAsync(result.Error, $"{fresh.UserName} {(active ? "reactivated" : "deactivated")}");
        });
    }

    private async Task SetAdminAsync(bool isAdmin) => await RunAsync(async () =>
    {
        if (await CurrentAsync() is not { } fresh)
        {
            return;
        }

        if (fresh.IsAdmin == isAdmin)
        {
            notice = $"{fresh.UserName} {(isAdmin ? "is already an admin" : "is no longer an admin")}: someone else changed it a moment ago.";
            return;
        }

        var result = await Directory.SetAdminAsync(TeamId, UserId, isAdmin);
        await AfterAsync(result.Error, isAdmin ? $"{fresh.UserName} is now a team admin" : $"{fresh.UserName} is no longer a team admin");
    });

    private async Task UnlinkSsoAsync()
    {
        if (await CurrentAsync() is not { } current || !await ConfirmAsync(
                $"Unlink {current.UserName}'s SSO identity?",
                $"{current.UserName} is linked to one sign-in at your identity provider. After unlinking, the next SSO sign-in whose "
                + "unique identifier claim names this account is linked to it instead: do this when the person's IdP account was recreated.",
                "Unlink"))
        {
            return;
        }

        await RunAsync(async () =>
        {
            var refused = await Directory.UnlinkSsoIdentityAsync(TeamId, UserId);
            if (refused is null)
            {
                // Unlinking is for an account bound to the wrong sign-in: whoever that was must not stay signed in.
                await Sessions.RevokeAllAsync(TeamId, UserId);
            }

            await AfterAsync(refused, $"{current.UserName} is no longer linked to an SSO identity; their sessions ended");
        });
    }

    private async Task DeleteAsync()
    {
        if (await CurrentAsync() is not { } current || !await ConfirmAsync(
                $"Delete {current.UserName}?",
                $"The account and its settings are removed and {current.UserName}'s open sessions end. This cannot be undone."
                + (current.Source == UserSource.Idp ? " If the person is still assigned in the IdP, the IdP will create a new account on its next sync." : ""),
                "Delete"))
        {
            return;
        }

        await RunAsync(async () =>
        {
            var failure = await Directory.DeleteAsync(TeamId, UserId);
            if (failure?.Kind == UserErrorKind.NotFound)
            {
                user = null;
                await OnChanged.InvokeAsync();
                return;
            }

            if (failure is not null)
            {
                error = failure.Detail;
                return;
            }

            Snackbar.Add($"{current.UserName} deleted", Severity.Success);
            await OnChanged.InvokeAsync();
            await OnClose.InvokeAsync();
        });
    }

    /// <summary>The user as stored now; null (and the "deleted" notice) when it is gone.</summary>
    private async Task<User?> CurrentAsync()
    {
        error = notice = null;
        user = await Directory.FindAsync(TeamId, UserId);
        lastAdmin = await IsLastAdminAsync(user);
        return user;
    }

    // Only to leave out the actions the directory would refuse; the directory decides when one is tried anyway.
    private async Task<bool> IsLastAdminAsync(User? current) =>
        current is { IsAdmin: true, Active: true } && await Directory.IsLastActiveAdminAsync(TeamId, current.Id);

    private async Task AfterAsync(UserError? failure, string success)
    {
        if (failure is null)
        {
            Snackbar.Add(success, Severity.Success);
            await ChangedAsync();
            return;
        }

        if (failure.Kind == UserErrorKind.NotFound)
        {
            user = null;
            return;
        }

        error = failure.Detail;
        await ReloadAsync();
    }

    private async Task ChangedAsync()
    {
        await ReloadAsync();
        await OnChanged.InvokeAsync();
    }

    private async Task RunAsync(Func<Task> action)
    {
        busy = true;
        try
        {
            await action();
        }
        finally
        {
            busy = false;
        }
    }

    private async Task<bool> ConfirmAsync(string title, string message, string yes) =>
        await Dialogs.ShowMessageBoxAsync(title, message, yesText: yes, cancelText: "Cancel") == true;
}
