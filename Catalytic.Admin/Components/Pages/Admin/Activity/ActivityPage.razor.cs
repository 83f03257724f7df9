using Catalytic.Admin.Components.Shared;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Components.Pages.Admin.Activity;

/// <summary>
/// The team's SCIM requests, newest first, with filters that the URL can carry (links from the admin home and
/// the user drawer). Refreshes itself whenever the log saves requests of this team.
/// </summary>
public sealed partial class ActivityPage : IDisposable
{
    private const int PageSize = 50;
    private const string AllOperations = "";

    [Inject] private ProvisioningLog Log { get; set; } = default!;
    [Inject] private UserDirectory Directory { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;
    [Inject] private IOptions<AppOptions> Options { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "userId")] public string? UserIdQuery { get; set; }
    [SupplyParameterFromQuery(Name = "outcome")] public string? OutcomeQuery { get; set; }

    private Guid teamId;
    private LiveRefresh? live;
    private IReadOnlyList<ProvisioningEvent> events = [];
    private IReadOnlyList<string> operations = [];
    private bool loaded;
    private bool hasMore;
    private int shown = PageSize;
    private string outcome = "all";
    private string operation = AllOperations;
    private string? userName;
    private Guid? userFilter;
    private string? userFilterName;
    private string? linkProblem;

    private DateTime Now => Clock.GetUtcNow().UtcDateTime;

    private int RetentionDays => Math.Max(1, Options.Value.Activity.RetentionDays);

    private bool Filtered => outcome != "all" || operation != AllOperations || userFilter is not null || !string.IsNullOrWhiteSpace(userName);

    protected override async Task OnInitializedAsync()
    {
        teamId = (await AuthState).User.TeamId() ?? Guid.Empty;
        live = new LiveRefresh(TimeSpan.FromMilliseconds(300), () => InvokeAsync(RefreshLiveAsync));
        Log.Recorded += OnRecorded;
    }

    protected override async Task OnParametersSetAsync()
    {
        // The query string is input like any other: a mangled link shows everything and says why.
        linkProblem = null;
        userFilter = null;
        userFilterName = null;
        if (!string.IsNullOrEmpty(UserIdQuery))
        {
            if (Guid.TryParse(UserIdQuery, out var id))
            {
                userFilter = id;
                userFilterName = (await Directory.FindAsync(teamId, id))?.UserName;
            }
            else
            {
                linkProblem = "The link's user filter is not a valid user id, so all users are shown.";
            }
        }

        outcome = OutcomeQuery?.ToLowerInvariant() switch
        {
            null or "" or "all" => "all",
            "failed" => "failed",
            "succeeded" => "succeeded",
            _ => InvalidOutcome(),
        };

        shown = PageSize;
        await LoadAsync();
    }

    private string InvalidOutcome()
    {
        linkProblem = "The link's outcome filter is not one of all, succeeded or failed, so every outcome is shown.";
        return "all";
    }

    private async Task LoadAsync()
    {
        var query = new ActivityQuery
        {
            Succeeded = outcome switch { "failed" => false, "succeeded" => true, _ => null },
            Operation = operation == AllOperations ? null : operation,
            UserId = userFilter,
            UserName = userFilter is null ? userName?.Trim() : null,
            Take = shown + 1,
        };
        var page = await Log.ListAsync(teamId, query);
        hasMore = page.Count > shown;
        events = hasMore ? page.Take(shown).ToList() : page;
        operations = await Log.RecentOperationsAsync(teamId);
        if (operation != AllOperations && !operations.Contains(operation))
        {
            operations = [.. operations, operation];
        }

        loaded = true;
    }

    private async Task OutcomeChangedAsync(string value)
    {
        outcome = value;
        shown = PageSize;
        await LoadAsync();
    }

    private async Task OperationChangedAsync(string value)
    {
        operation = value ?? AllOperations;
        shown = PageSize;
        await LoadAsync();
    }

    private async Task UserNameChangedAsync(string? value)
    {
        userName = value;
        shown = PageSize;
        await LoadAsync();
    }

    private async Task ClearUserFilterAsync()
    {
        userFilter = null;
        userFilterName = null;
        shown = PageSize;
        await LoadAsync();
    }

    private async Task LoadMoreAsync()
    {
        shown += PageSize;
        await LoadAsync();
    }

    private static string StatusText(int status) => ReasonPhrases.GetReasonPhrase(status);

    // Filters arrive percent-encoded; decoded they read as the IdP wrote them (the raw path is the tooltip).
    private static string ReadablePath(string path) => Uri.UnescapeDataString(path);

    private void OnRecorded(IReadOnlyCollection<Guid> teams)
    {
        if (teams.Contains(teamId))
        {
            live?.Trigger();
        }
    }

    private async Task RefreshLiveAsync()
    {
        try
        {
            await LoadAsync();
            StateHasChanged();
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    }

    public void Dispose()
    {
        Log.Recorded -= OnRecorded;
        live?.Dispose();
    }
}
