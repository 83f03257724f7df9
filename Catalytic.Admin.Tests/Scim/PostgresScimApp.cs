using Catalytic.Admin.Tests.Infrastructure;
using Npgsql;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// The app on a PostgreSQL database of its own (created and dropped here) with a team that has SCIM on, for tests
/// that must hold on both providers. Needs CATALYTIC_TEST_POSTGRES (see Data/PostgresTests.cs); without it the tests
/// skip, unless CATALYTIC_REQUIRE_POSTGRES=1.
/// </summary>
public sealed class PostgresScimApp : IAsyncLifetime
{
    private static readonly string? Server = Environment.GetEnvironmentVariable("CATALYTIC_TEST_POSTGRES");
    private readonly string database = "catalytic_test_" + Guid.NewGuid().ToString("N")[..12];
    private AppFactory? app;
    private string token = null!;

    /// <summary>The app; call <see cref="Client"/> first, which skips the test without a server.</summary>
    public AppFactory App => app!;

    public TestTeam Team { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (string.IsNullOrEmpty(Server))
        {
            return;
        }

        await using (var admin = new NpgsqlConnection(Server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        app = new AppFactory()
            .WithSetting("Catalytic:Database:Provider", "Postgres")
            .WithSetting("Catalytic:Database:ConnectionString", new NpgsqlConnectionStringBuilder(Server) { Database = database }.ConnectionString);
        Team = await app.CreateTeamAsync("acme");
        token = await app.EnableScimAsync(Team);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is null)
        {
            return;
        }

        await app.DisposeAsync();
        await using var admin = new NpgsqlConnection(Server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public HttpClient Client()
    {
        if (app is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("CATALYTIC_REQUIRE_POSTGRES") == "1", "CATALYTIC_REQUIRE_POSTGRES=1 but CATALYTIC_TEST_POSTGRES is not set.");
            Assert.Skip("PostgreSQL tests need CATALYTIC_TEST_POSTGRES (a connection string); .ci/run starts a server.");
        }

        return app.CreateScimClient(Team, token);
    }
}
