using Catalytic.Admin.Tests.Infrastructure;

// Started once per test run: the provider's first discovery costs seconds, and Chromium is launched on first use.
[assembly: AssemblyFixture(typeof(TestIdentityProvider))]
[assembly: AssemblyFixture(typeof(BrowserFixture))]
