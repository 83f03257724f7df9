using System.Diagnostics;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Provisioning;

/// <summary>
/// Per-request notes that SCIM handlers leave for the activity log: which user was affected, what failed.
/// The recorder middleware turns them, with the response status, into a <see cref="ProvisioningEvent"/>; a
/// successful write commits its entry itself (<see cref="RecordWithWrite"/>).
/// </summary>
public sealed class ProvisioningContext(HttpContext request, TimeProvider clock) : IWriteActivity
{
    private readonly long started = Stopwatch.GetTimestamp();
    private int writeStatus;
    private ProvisioningEvent? lastEntry;

    public string Operation { get; set; } = "other";

    public Guid? UserId { get; set; }

    public string? UserName { get; set; }

    public string? ErrorType { get; private set; }

    public string? Detail { get; private set; }

    /// <summary>The entry committed with the request's write, if any: the recorder has nothing left to save.</summary>
    public ProvisioningEvent? SavedWithWrite { get; private set; }

    public void Fail(string? errorType, string detail)
    {
        ErrorType = errorType;
        Detail = detail;
    }

    public void Affected(Guid? userId, string? userName)
    {
        UserId = userId ?? UserId;
        UserName = userName ?? UserName;
    }

    /// <summary>
    /// For the directory to commit this request's entry with its write; <paramref name="successStatus"/> is what the
    /// handler answers if the write succeeds. A refused write leaves no entry and is recorded like any other request.
    /// </summary>
    public IWriteActivity RecordWithWrite(int successStatus)
    {
        writeStatus = successStatus;
        return this;
    }

    // Not noted as Affected: a create that is refused must not name the id of a user that was never saved.
    ProvisioningEvent IWriteActivity.EntryFor(User user) => lastEntry = ToEvent(user.TeamId, writeStatus, user.Id, user.UserName);

    void IWriteActivity.Saved() => SavedWithWrite = lastEntry;

    /// <summary>The request as an entry of the team's log: what the handlers noted, answered with <paramref name="status"/>.</summary>
    public ProvisioningEvent ToEvent(Guid teamId, int status) => ToEvent(teamId, status, UserId, UserName);

    private ProvisioningEvent ToEvent(Guid teamId, int status, Guid? userId, string? userName) => new()
    {
        TeamId = teamId,
        At = clock.GetUtcNow().UtcDateTime,
        Method = request.Request.Method,
        Path = Truncate(request.Request.Path + request.Request.QueryString, 1024)!,
        Operation = Operation,
        Status = status,
        UserId = userId,
        UserName = Truncate(userName, 256),
        ErrorType = ErrorType,
        Detail = Truncate(Detail, 2048),
        DurationMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
    };

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    public static ProvisioningContext? Get(HttpContext context) => context.Features.Get<ProvisioningContext>();
}
