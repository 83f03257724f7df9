using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Catalytic.Admin.Cli;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.EndToEnd;

/// <summary>
/// The app as it is deployed (its own executable, its own SQLite file, a loopback port) under a SCIM write load,
/// killed with SIGKILL at random moments and restarted. Afterwards every write the clients were told succeeded is in
/// the database with its activity entry, every write they were told failed changed nothing, and the file is sound.
/// </summary>
public sealed class CrashConsistencyTests(TestIdentityProvider idp) : IAsyncLifetime
{
    private const string Team = "crash";
    private const int Kills = 4;
    private const int Clients = 4;

    private const string Password = "a-long-enough-password";
    private readonly string folder = Directory.CreateTempSubdirectory("catalytic-crash-").FullName;
    private readonly int seed = Environment.TickCount;

    private string DatabasePath => Path.Combine(folder, "admin.db");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task KilledUnderWriteLoad_AcknowledgedWritesAndTheirEntriesSurvive_RefusedWritesChangedNothing()
    {
        var token = await SetUpTeamAsync();
        var random = new Random(seed);
        var load = new WriteLoad(Clients, seed);

        for (var kill = 0; kill < Kills; kill++)
        {
            var port = FreePort();
            using var app = StartApp(port);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/scim/v2/{Team}/"), Timeout = TimeSpan.FromSeconds(20) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await WaitUntilServingAsync(http, app);

            using var stop = new CancellationTokenSource();
            var running = load.RunAsync(http, stop.Token);
            await Task.Delay(random.Next(300, 1200), Ct);
            app.Kill(entireProcessTree: true); // SIGKILL: no shutdown hook runs
            await app.WaitForExitAsync(Ct);
            await stop.CancelAsync();
            await running;
        }

        Assert.True(load.Acknowledged > 50, $"Too little load to say anything (seed {seed}): {load.Acknowledged} acknowledged writes.");
        await using var db = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await db.OpenAsync(Ct);
        Assert.Equal("ok", await ScalarAsync(db, "PRAGMA integrity_check"));
        var problems = await load.CheckAsync(db);
        Assert.True(problems.Count == 0, $"Seed {seed}, {load.Acknowledged} acknowledged writes, {load.MissingEntries} of them without their activity entry, {problems.Count} problems:\n{string.Join('\n', problems.Take(30))}");
    }

    /// <summary>A team with SCIM on, through the CLI an operator uses, SSO verified against the test provider.</summary>
    private async Task<string> SetUpTeamAsync()
    {
        await RunCliAsync("admin", "setup", "--team", Team, "--team-name", "Crash test", "--admin", "erika");
        await RunCliAsync("admin", "sso", "set", "--team", Team, "--issuer", idp.Issuer, "--client-id", "catalytic-crash");
        var output = await RunCliAsync("admin", "scim", "enable", "--team", Team);
        var line = output.Split('\n').Single(l => l.StartsWith("token=", StringComparison.Ordinal));
        return line["token=".Length..].Trim();
    }

    private async Task<string> RunCliAsync(params string[] args)
    {
        using var process = Process.Start(AppStart(args))!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', args)} failed: {await error}");
        return await output;
    }

    private Process StartApp(int port)
    {
        var process = Process.Start(AppStart("--urls", $"http://127.0.0.1:{port}"))!;

        // Drained so that a full pipe never blocks the app's logging.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        return process;
    }

    private ProcessStartInfo AppStart(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Catalytic.Admin.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Catalytic__Database__Provider"] = "Sqlite";
        start.Environment["Catalytic__Database__ConnectionString"] = $"Data Source={DatabasePath}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Catalytic__Sso__AllowPrivateNetworkIssuers"] = "true"; // the test's provider is on loopback
        start.Environment["Catalytic__Scim__RateLimit__PermitsPerSecond"] = "0"; // the load is far above an IdP's
        start.Environment[AdminCli.AdminPasswordVariable] = Password;
        start.Environment[AdminCli.ClientSecretVariable] = "crash-test-secret";
        return start;
    }

    private static async Task WaitUntilServingAsync(HttpClient http, Process app)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            Assert.False(app.HasExited, "The app exited before serving.");
            try
            {
                using var response = await http.GetAsync("ServiceProviderConfig", Ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail("The app did not serve SCIM within 30 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection db, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteScalarAsync(Ct);
    }

    /// <summary>
    /// Clients that each create, rename (PATCH displayName) and delete their own users, and now and then send a
    /// write that must be refused (a taken userName). Every answer is noted: 2xx (acknowledged), another status
    /// (refused), or none (cut off by the kill: either outcome is allowed, and the user is not touched again).
    /// </summary>
    private sealed class WriteLoad(int clients, int seed)
    {
        private readonly List<TrackedUser> users = [];
        private readonly List<string> refusedCreates = [];
        private readonly List<string> refusedNames = [];
        private readonly Lock gate = new();
        private int counter;

        public int Acknowledged { get; private set; }

        /// <summary>Acknowledged writes without their activity entry, as <see cref="CheckAsync"/> found them.</summary>
        public int MissingEntries { get; private set; }

        public Task RunAsync(HttpClient http, CancellationToken stop) =>
            Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientAsync(http, new Random(seed + i + Interlocked.Increment(ref counter) * 7919), stop), CancellationToken.None)));

        private async Task ClientAsync(HttpClient http, Random random, CancellationToken stop)
        {
            var mine = new List<TrackedUser>();
            for (var step = 0; step < 5000 && !stop.IsCancellationRequested; step++)
            {
                var live = mine.Where(u => u.Usable).ToList();
                var roll = random.Next(100);
                if (live.Count < 3 || roll < 40)
                {
                    await CreateAsync(http, mine);
                }
                else if (roll < 80)
                {
                    await RenameAsync(http, live[random.Next(live.Count)]);
                }
                else if (roll < 90)
                {
                    await DeleteAsync(http, live[random.Next(live.Count)]);
                }
                else
                {
                    await RefusedAsync(http, live[random.Next(live.Count)], rename: roll < 95, live);
                }
            }
        }

        private async Task CreateAsync(HttpClient http, List<TrackedUser> mine)
        {
            var name = "crash" + Guid.NewGuid().ToString("N")[..12];
            var (status, body) = await SendAsync(http, HttpMethod.Post, "Users", UserBody(name, givenName: "Crash", familyName: "Test"));
            if (status == 201)
            {
                using var created = System.Text.Json.JsonDocument.Parse(body!);
                var user = new TrackedUser(Guid.Parse(created.RootElement.GetProperty("id").GetString()!), name);
                user.Acked("POST", 201);
                mine.Add(user);
                Track(user);
            }
        }

        private async Task RenameAsync(HttpClient http, TrackedUser user)
        {
            var value = "shown" + Interlocked.Increment(ref counter);
            var (status, _) = await SendAsync(http, HttpMethod.Patch, $"Users/{user.Id}", Patch($$"""{"op":"replace","path":"displayName","value":"{{value}}"}"""));
            switch (status)
            {
                case 200:
                    user.DisplayName = value;
                    user.Acked("PATCH", 200);
                    break;
                case null:
                    user.Unanswered(value);
                    break;
                default:
                    Fail($"PATCH {user.Id} was refused with {status}");
                    break;
            }
        }

        private async Task DeleteAsync(HttpClient http, TrackedUser user)
        {
            var (status, _) = await SendAsync(http, HttpMethod.Delete, $"Users/{user.Id}", null);
            switch (status)
            {
                case 204:
                    user.Deleted = true;
                    user.Acked("DELETE", 204);
                    break;
                case null:
                    user.Unanswered(null);
                    user.MaybeDeleted = true;
                    break;
                default:
                    Fail($"DELETE {user.Id} was refused with {status}");
                    break;
            }
        }

        /// <summary>A create with another user's name in capitals, or a rename to it: both a 409 that must leave no trace.</summary>
        private async Task RefusedAsync(HttpClient http, TrackedUser victim, bool rename, List<TrackedUser> live)
        {
            var taken = victim.UserName.ToUpperInvariant();
            if (!rename)
            {
                var (status, _) = await SendAsync(http, HttpMethod.Post, "Users", UserBody(taken));
                Refused(status, () => refusedCreates.Add(taken));
                return;
            }

            var other = live.FirstOrDefault(u => u != victim);
            if (other is null)
            {
                return;
            }

            var value = "refused" + Interlocked.Increment(ref counter);
            var (renameStatus, _) = await SendAsync(http, HttpMethod.Patch, $"Users/{other.Id}", Patch(
                $$"""{"op":"replace","path":"displayName","value":"{{value}}"}""",
                $$"""{"op":"replace","path":"userName","value":"{{taken}}"}"""));
            Refused(renameStatus, () => refusedNames.Add(value));
            if (renameStatus is null)
            {
                other.Unanswered(value);
            }
        }

        private void Refused(int? status, Action note)
        {
            if (status is 409)
            {
                lock (gate)
                {
                    note();
                }
            }
            else if (status is not null)
            {
                Fail($"A write with a taken userName was answered {status}, not 409");
            }
        }

        private async Task<(int? Status, string? Body)> SendAsync(HttpClient http, HttpMethod method, string url, string? json)
        {
            using var request = new HttpRequestMessage(method, url);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/scim+json");
            }

            try
            {
                using var response = await http.SendAsync(request, CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    lock (gate)
                    {
                        Acknowledged++;
                    }
                }

                return ((int)response.StatusCode, body);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                return (null, null); // cut off: the answer never came
            }
        }

        private readonly List<string> failures = [];

        private void Fail(string problem)
        {
            lock (gate)
            {
                failures.Add(problem);
            }
        }

        private void Track(TrackedUser user)
        {
            lock (gate)
            {
                users.Add(user);
            }
        }

        public async Task<List<string>> CheckAsync(SqliteConnection db)
        {
            var problems = new List<string>(failures);
            foreach (var user in users)
            {
                var row = await ScalarAsync(db, "SELECT DisplayName FROM Users WHERE Id = $id", ("$id", user.Id.ToString().ToUpperInvariant()));
                var exists = row is not null;
                if (user.Deleted && exists)
                {
                    problems.Add($"{user.Id}: deleted (204) but still there");
                }
                else if (!user.Deleted && !user.MaybeDeleted && !exists)
                {
                    problems.Add($"{user.Id}: created (201) but gone");
                }
                else if (exists && row is not DBNull && !user.AllowedDisplayNames.Contains(row as string))
                {
                    problems.Add($"{user.Id}: displayName '{row}', acknowledged '{user.DisplayName}'");
                }
                else if (exists && row is DBNull && user.DisplayName is not null)
                {
                    problems.Add($"{user.Id}: displayName lost, acknowledged '{user.DisplayName}'");
                }

                foreach (var ((method, status), count) in user.AcknowledgedWrites)
                {
                    var saved = Convert.ToInt32(await ScalarAsync(db,
                        "SELECT COUNT(*) FROM ProvisioningEvents WHERE UserId = $id AND Method = $method AND Status = $status",
                        ("$id", user.Id.ToString().ToUpperInvariant()), ("$method", method), ("$status", status)), System.Globalization.CultureInfo.InvariantCulture);
                    if (saved < count)
                    {
                        MissingEntries += count - saved;
                        problems.Add($"{user.Id}: {count} acknowledged {method} ({status}), {saved} activity entries");
                    }
                }
            }

            foreach (var name in refusedCreates)
            {
                if (await ScalarAsync(db, "SELECT COUNT(*) FROM Users WHERE UserName = $name", ("$name", name)) is not 0L)
                {
                    problems.Add($"refused create '{name}' left a user");
                }

                if (await ScalarAsync(db, "SELECT COUNT(*) FROM ProvisioningEvents WHERE UserName = $name AND Status < 400", ("$name", name)) is not 0L)
                {
                    problems.Add($"refused create '{name}' left a success entry");
                }
            }

            foreach (var value in refusedNames)
            {
                if (await ScalarAsync(db, "SELECT COUNT(*) FROM Users WHERE DisplayName = $value", ("$value", value)) is not 0L)
                {
                    problems.Add($"refused rename '{value}' changed a user");
                }
            }

            return problems;
        }
    }

    private sealed class TrackedUser(Guid id, string userName)
    {
        private readonly List<string?> unansweredValues = [];
        private int unanswered;

        public Guid Id { get; } = id;

        public string UserName { get; } = userName;

        /// <summary>The last displayName acknowledged.</summary>
        public string? DisplayName { get; set; }

        public bool Deleted { get; set; }

        public bool MaybeDeleted { get; set; }

        /// <summary>False once a write to it went unanswered: its state is then one of two, and it is left alone.</summary>
        public bool Usable => !Deleted && unanswered == 0;

        public Dictionary<(string Method, int Status), int> AcknowledgedWrites { get; } = [];

        public IEnumerable<string?> AllowedDisplayNames => unansweredValues.Prepend(DisplayName);

        public void Acked(string method, int status) =>
            AcknowledgedWrites[(method, status)] = AcknowledgedWrites.GetValueOrDefault((method, status)) + 1;

        public void Unanswered(string? displayName)
        {
            unanswered++;
            if (displayName is not null)
            {
                unansweredValues.Add(displayName);
            }
        }
    }
}
