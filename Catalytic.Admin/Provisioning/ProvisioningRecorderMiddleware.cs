using System.Diagnostics;
using Catalytic.Admin.Sso;

namespace Catalytic.Admin.Provisioning;

/// <summary>
/// Wraps every SCIM request and queues what happened for the team's activity log. Only requests made with the
/// team's accepted token are recorded: refused ones are counted by the bearer check, so that nobody without a
/// token can write into a team's log.
/// </summary>
public sealed class ProvisioningRecorderMiddleware(RequestDelegate next, ProvisioningLog log, TimeProvider clock)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // SCIM clients get SCIM error bodies, never the app's HTML status pages.
        if (context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false;
        }

        var notes = new ProvisioningContext();
        context.Features.Set(notes);
        var started = Stopwatch.GetTimestamp();
        await next(context);

        var teamId = context.User.TeamId();
        if (teamId is null)
        {
            return;
        }

        log.Record(new ProvisioningEvent
        {
            TeamId = teamId.Value,
            At = clock.GetUtcNow().UtcDateTime,
            Method = context.Request.Method,
            Path = Truncate(context.Request.Path + context.Request.QueryString, 1024)!,
            Operation = notes.Operation,
            Status = context.Response.StatusCode,
            UserId = notes.UserId,
            UserName = Truncate(notes.UserName, 256),
            ErrorType = notes.ErrorType,
            Detail = Truncate(notes.Detail, 2048),
            DurationMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
        });
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
