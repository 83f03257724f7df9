using Catalytic.Admin.Sso;

namespace Catalytic.Admin.Provisioning;

/// <summary>
/// Wraps every SCIM request and queues what happened for the team's activity log, except for a successful write,
/// which committed its entry with the user row. Only requests made with the team's accepted token are recorded:
/// refused ones are counted by the bearer check, so that nobody without a token can write into a team's log.
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

        var notes = new ProvisioningContext(context, clock);
        context.Features.Set(notes);
        await next(context);
        if (notes.SavedWithWrite is { } saved)
        {
            // A successful write committed its entry in its own transaction.
            log.RecordedWithWrite(saved);
            return;
        }

        var teamId = context.User.TeamId();
        if (teamId is null)
        {
            return;
        }

        log.Record(notes.ToEvent(teamId.Value, context.Response.StatusCode));
    }
}
