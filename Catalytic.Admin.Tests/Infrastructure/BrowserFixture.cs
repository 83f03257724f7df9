using Microsoft.Playwright;

namespace Catalytic.Admin.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, launched on first use and shared by the whole run; every test gets
/// its own context. Without the browser the tests skip, unless CATALYTIC_REQUIRE_BROWSER=1 (set by .ci/run),
/// where a missing browser fails them.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string RequireBrowserVariable = "CATALYTIC_REQUIRE_BROWSER";

    /// <summary>Debian's Chromium, unless CATALYTIC_CHROMIUM names another binary.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("CATALYTIC_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
    private static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private readonly SemaphoreSlim gate = new(1, 1);
    private IPlaywright? playwright;
    private IBrowser? browser;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>A fresh, isolated browser context (cookies, storage, permissions). Close it before the app stops.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var shared = await GetBrowserAsync();
        return await shared.NewContextAsync(options ?? new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 900 } });
    }

    private async Task<IBrowser> GetBrowserAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            var message = $"Browser test needs Chromium at {ExecutablePath} (apt-get install -y chromium).";
            if (Environment.GetEnvironmentVariable(RequireBrowserVariable) == "1")
            {
                Assert.Fail(message + $" {RequireBrowserVariable}=1, so a missing browser is a failure.");
            }

            Assert.Skip(message);
        }

        await gate.WaitAsync();
        try
        {
            if (playwright is null)
            {
                playwright = await Playwright.CreateAsync();
                // A ceiling, not a delay: expectations pass as soon as they hold, even on a busy 2-core machine.
                Assertions.SetDefaultExpectTimeout(15_000);
            }

            browser ??= await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Args,
            });
            return browser;
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
        gate.Dispose();
    }
}
