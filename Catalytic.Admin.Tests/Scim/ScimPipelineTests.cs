using System.Net;
using Catalytic.Admin.Provisioning;
using Microsoft.EntityFrameworkCore;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// What every request under /scim/v2 goes through before and after its endpoint: the bearer check and nothing of
/// the pages' sign-in, a SCIM answer for every URL and every failure, and a record of each in the activity log.
/// Derived from <see cref="ScimTestApp"/> rather than sharing it: each test gets its own app, as one of them
/// breaks its database.
/// </summary>
public sealed class ScimPipelineTests : ScimTestApp
{
    [Fact]
    public async Task AdminSessionCookie_DoesNotAuthenticateScim()
    {
        using var browser = await App.SignInAsync(Team);

        var response = await browser.GetAsync($"/scim/v2/{Team.Slug}/Users", TestContext.Current.CancellationToken);

        await response.ExpectErrorAsync(HttpStatusCode.Unauthorized, null);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("/scim/v2")]
    [InlineData("/scim/v2/")]
    public async Task ScimPathWithoutTeam_IsScimNotFound_NotAnAuthenticationError(string path)
    {
        using var client = Client();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        var detail = await response.ExpectErrorAsync(HttpStatusCode.NotFound, null);
        Assert.Contains("There is no SCIM endpoint", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnexpectedFailure_IsScim500_LoggedAndRecorded_WithoutInternals()
    {
        using var client = Client();
        var id = (await client.CreateUserAsync(ScimHttp.UniqueName())).Id();
        await using (var db = await App.DbAsync())
        {
            // A database that lost its users table: a failure no client input can cause.
            await db.Database.ExecuteSqlRawAsync("DROP TABLE Users", TestContext.Current.CancellationToken);
        }

        var response = await client.GetAsync($"Users/{id}", TestContext.Current.CancellationToken);

        var detail = await response.ExpectErrorAsync(HttpStatusCode.InternalServerError, null);
        Assert.Contains("error on our side", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("no such table", detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(App.Logs.Lines, line => line.Contains($"SCIM request GET /scim/v2/{Team.Slug}/Users/{id} failed", StringComparison.Ordinal));

        var log = App.Get<ProvisioningLog>();
        await log.FlushAsync(TestContext.Current.CancellationToken);
        var recorded = await log.ListAsync(Team.Id, new ActivityQuery { Succeeded = false }, TestContext.Current.CancellationToken);
        Assert.Contains(recorded, e => e.Status == 500 && e.Path == $"/scim/v2/{Team.Slug}/Users/{id}");
    }
}
