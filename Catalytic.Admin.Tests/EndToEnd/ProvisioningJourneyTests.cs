using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Catalytic.Admin.Tests.Infrastructure;
using Catalytic.Admin.Tests.Scim;
using Catalytic.Admin.Users;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Catalytic.Admin.Tests.EndToEnd;

/// <summary>
/// An IdP provisions a team while its admin watches in Chromium: users and requests appear live, a conflict shows
/// its hint, the provisioned member signs in through SSO to the welcome tour, and deactivating the member in the
/// Users page ends the member's open page.
/// </summary>
public sealed class ProvisioningJourneyTests(TestIdentityProvider idp, BrowserFixture browsers) : IAsyncLifetime
{
    private readonly AppFactory app = new();
    private string baseUrl = null!;

    public ValueTask InitializeAsync()
    {
        baseUrl = app.StartKestrel();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IdpProvisions_AdminWatchesLive_MemberSignsInToTheTour_AndLosesTheSessionWhenDeactivated()
    {
        var team = await app.CreateTeamAsync("acme");
        await app.ConnectSsoAsync(team, idp, baseUrl);
        var token = await app.EnableScimAsync(team);
        // Made by hand before SCIM was on: the IdP's "Grace" collides with it.
        var grace = await app.Get<UserDirectory>().CreateAsync(team.Id, new UserProfile { UserName = "grace", Email = "grace@example.test" }, UserSource.Admin, Ct);
        Assert.True(grace.Succeeded, grace.Error?.Detail);

        var admin = await browsers.NewContextAsync();
        var member = await browsers.NewContextAsync();
        try
        {
            var users = await admin.NewPageAsync();
            await SignInAsAdminAsync(users, team);
            await users.GotoAsync($"{baseUrl}/admin/users");
            await FirstRunToScimTests.WaitUntilInteractiveAsync(users);
            var userNames = users.Locator("[data-testid=users-grid] [data-testid=cell-username]");
            await Expect(userNames).ToHaveTextAsync([team.AdminUserName, "grace"]);

            var activity = await admin.NewPageAsync();
            await activity.GotoAsync($"{baseUrl}/admin/activity");
            await FirstRunToScimTests.WaitUntilInteractiveAsync(activity);
            await Expect(activity.Locator("[data-testid=activity-empty]")).ToBeVisibleAsync();

            // A reload would drop these markers.
            await users.EvaluateAsync("() => window.notReloaded = true");
            await activity.EvaluateAsync("() => window.notReloaded = true");

            using (var scim = ScimClient(team, token))
            {
                await scim.PostJsonAsync("Users", ScimHttp.UserBody("ada", "ada@example.test", "okta-ada")).ExpectAsync(HttpStatusCode.Created);
                await scim.PostJsonAsync("Users", ScimHttp.UserBody("alan", "alan@example.test", "okta-alan")).ExpectAsync(HttpStatusCode.Created);
                await scim.PostJsonAsync("Users", ScimHttp.UserBody("Grace", "grace.hopper@example.test", "okta-grace")).ExpectErrorAsync(HttpStatusCode.Conflict, "uniqueness");
            }

            await Expect(userNames).ToHaveTextAsync(["ada", team.AdminUserName, "alan", "grace"]);
            var rows = activity.Locator("[data-testid=activity-row]");
            await Expect(rows).ToHaveCountAsync(3);
            await Expect(rows.Filter(new() { HasText = "201 Created" })).ToHaveCountAsync(2);
            await Expect(rows.Filter(new() { HasText = "409 Conflict" })).ToHaveCountAsync(1);
            var failure = activity.Locator("[data-testid=activity-failure]");
            await Expect(failure.Locator("[data-testid=failure-received]")).ToContainTextAsync("HTTP 409 · scimType uniqueness");
            await Expect(failure.Locator("[data-testid=failure-hint]")).ToContainTextAsync("An account with this userName already exists here");
            Assert.True(await users.EvaluateAsync<bool>("() => window.notReloaded === true"), "The Users page reloaded.");
            Assert.True(await activity.EvaluateAsync<bool>("() => window.notReloaded === true"), "The Activity page reloaded.");

            // The member signs in at the provider's page and lands on the tour (the team's default).
            var home = await member.NewPageAsync();
            await home.GotoAsync($"{baseUrl}/login?team={team.Slug}");
            await home.ClickAsync("[data-testid=sso-sign-in]");
            await home.WaitForURLAsync(url => url.StartsWith(idp.Issuer, StringComparison.Ordinal));
            await home.FillAsync("#username", "ada");
            await home.ClickAsync("#sign-in");
            await home.WaitForURLAsync($"{baseUrl}/?welcome=1");
            await FirstRunToScimTests.WaitUntilInteractiveAsync(home);
            await Expect(home.Locator("[data-testid=member-username]")).ToHaveTextAsync("ada");
            await Expect(home.Locator("[data-testid=welcome-tour] [data-testid=tour-title]")).ToHaveTextAsync("Welcome aboard");

            // The admin deactivates the member from the Users page's drawer.
            await users.BringToFrontAsync();
            await userNames.Filter(new() { HasTextRegex = new Regex("^ada$") }).ClickAsync();
            var drawer = users.Locator("[data-testid=user-details]");
            await Expect(drawer.Locator("[data-testid=details-title]")).ToHaveTextAsync("ada");
            await drawer.Locator("[data-testid=deactivate-user]").ClickAsync();
            await users.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true }).ClickAsync();
            await Expect(drawer.Locator("[data-testid=status]")).ToHaveTextAsync("Deactivated");

            // The member's open page notices without any action of theirs, and the cookie no longer works either.
            await home.WaitForURLAsync(new Regex($"^{Regex.Escape(baseUrl)}/login"), new() { Timeout = 15_000 });
            await home.GotoAsync($"{baseUrl}/");
            await Expect(home).ToHaveURLAsync(new Regex($"^{Regex.Escape(baseUrl)}/login"));
            await Expect(home.Locator("[data-testid=member-username]")).ToHaveCountAsync(0);
        }
        finally
        {
            // Before the app stops: an open circuit would hold its shutdown.
            await member.CloseAsync();
            await admin.CloseAsync();
        }
    }

    private async Task SignInAsAdminAsync(IPage page, TestTeam team)
    {
        await page.GotoAsync($"{baseUrl}/login?team={team.Slug}");
        await page.FillAsync("#username", team.AdminUserName);
        await page.FillAsync("#password", AppFactory.AdminPassword);
        await page.ClickAsync("[data-testid=local-sign-in]");
        // The redirect after sign-in is enough: the next step navigates on; waiting for "load" here raced it.
        await page.WaitForURLAsync($"{baseUrl}/admin", new() { WaitUntil = WaitUntilState.Commit });
    }

    /// <summary>What the IdP holds: the SCIM base URL and the token, over real HTTP to the app's port.</summary>
    private HttpClient ScimClient(TestTeam team, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri($"{baseUrl}/scim/v2/{team.Slug}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
