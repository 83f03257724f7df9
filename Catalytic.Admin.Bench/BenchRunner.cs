using System.Diagnostics;

namespace Catalytic.Admin.Bench;

/// <summary>
/// One run: publish the app, then for each N start each server on a fresh database, drive it, stop it, and
/// (for the app) time the Users page's directory calls on the database it left. Progress goes to stderr,
/// the table to stdout.
/// </summary>
internal sealed class BenchRunner(BenchOptions options)
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var report = new BenchReport
        {
            Machine = ProcessStats.DescribeMachine(),
            LoadAverageAtStart = ProcessStats.LoadAverage(),
            StartedAtUtc = DateTime.UtcNow,
            Ns = options.Ns,
            Concurrency = options.Concurrency,
            Phases = [.. Phases.All.Where(options.Phases.Contains)],
            Targets = [.. new[] { options.RunApp ? "app" : null, options.RunCeiling ? "ceiling" : null }.OfType<string>()],
            PhaseTimeoutSeconds = options.PhaseTimeout.TotalSeconds,
            Synchronous = options.Synchronous,
        };
        Log($"Machine: {report.Machine}; load average {report.LoadAverageAtStart:0.00}");
#if DEBUG
        report.Notes.Add("The bench was built in Debug, so the ceiling ran unoptimised: use 'dotnet run -c Release'.");
#endif
        if (!OperatingSystem.IsLinux())
        {
            report.Notes.Add("Server CPU and peak RSS come from /proc and are only measured on Linux.");
        }

        RemoveStaleTempFolders();
        var temp = Directory.CreateTempSubdirectory(TempPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(temp, PidFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
        var started = Stopwatch.StartNew();
        try
        {
            string? appFolder = null;
            DiscoveryServer? issuer = null;
            if (options.RunApp)
            {
                appFolder = options.AppFolder is { } given
                    ? Path.GetFullPath(given)
                    : await Servers.PublishAppAsync(
                        Servers.FindRepositoryRoot() ?? throw new BenchException("Catalytic.Admin.sln not found above the bench or the current folder: pass --app <published folder>."),
                        Path.Combine(temp, "app"), Log, ct);
                report.App = Servers.DescribeApp(appFolder);
                Log($"App: {report.App}");
                issuer = await DiscoveryServer.StartAsync(ct);
            }

            try
            {
                foreach (var n in options.Ns)
                {
                    foreach (var synchronous in options.Synchronous)
                    {
                        await RunSizeAsync(n, synchronous, temp, appFolder, issuer, report, ct);
                    }
                }
            }
            finally
            {
                if (issuer is not null)
                {
                    await issuer.DisposeAsync();
                }
            }
        }
        finally
        {
            ChildProcess.KillAll();
            if (options.Keep)
            {
                Log($"Kept {temp}");
            }
            else
            {
                TryDelete(temp);
            }
        }

        Log($"Done in {started.Elapsed:hh\\:mm\\:ss}.");
        Report.Evaluate(report);
        await Console.Out.WriteAsync(Report.Table(report));
        if (options.JsonPath is { } path)
        {
            await Report.WriteJsonAsync(report, path, CancellationToken.None);
            Log($"JSON written to {Path.GetFullPath(path)}");
        }

        return report.Passed == false ? 1 : 0;
    }

    /// <summary>One N at one <c>synchronous</c> setting, which the ceiling and the app both run with.</summary>
    private async Task RunSizeAsync(int n, string synchronous, string temp, string? appFolder, DiscoveryServer? issuer, BenchReport report, CancellationToken ct)
    {
        var driverOptions = new DriverOptions(options.Concurrency, options.PhaseTimeout, options.ProbeSamples, options.Phases);
        var folder = Path.Combine(temp, $"n{n}-{synchronous.ToLowerInvariant()}");
        Log($"N = {n:N0}, synchronous={synchronous}");
        IEnumerable<PhaseResult> Tagged(IEnumerable<PhaseResult> results) => results.Select(r => r with { Synchronous = synchronous });

        if (options.RunCeiling)
        {
            await using var ceiling = await Servers.StartCeilingAsync(Path.Combine(folder, "ceiling"), synchronous, Log, ct);
            using var driver = new ScimDriver("ceiling", ceiling.ScimBase, ceiling.Token, ceiling.Process.Id, driverOptions, Log);
            report.Results.AddRange(Tagged(await driver.RunAsync(Workload.MakeUsers(n, options.Seed), usersEndpoint: true, ct)));
            await ceiling.StopAsync();
        }

        if (options.RunApp)
        {
            var users = Workload.MakeUsers(n, options.Seed);
            bool usersEndpoint;
            string databasePath;
            await using (var app = await Servers.StartAppAsync(appFolder!, Path.Combine(folder, "app"), issuer!.Issuer, synchronous, Log, ct))
            {
                databasePath = Path.Combine(app.Folder, "catalytic-admin.db");
                using var driver = new ScimDriver("app", app.ScimBase, app.Token, app.Process.Id, driverOptions, Log);
                if (await driver.CheckAuthenticationAsync(ct) is { } authProblem)
                {
                    throw new BenchException($"The app refused the SCIM token from 'admin scim enable': {authProblem}");
                }

                var missing = await driver.CheckUsersEndpointAsync(ct);
                usersEndpoint = missing is null;
                if (!usersEndpoint)
                {
                    var note = $"N={n:N0}: the app has no SCIM Users endpoint yet ({missing}); only its setup, authentication and discovery were exercised.";
                    Log("  " + note);
                    if (!report.Notes.Contains(note))
                    {
                        report.Notes.Add(note);
                    }
                }

                report.Results.AddRange(Tagged(await driver.RunAsync(users, usersEndpoint, ct)));

                // A clean stop, as in production: the activity log is flushed before the file is read.
                await app.StopAsync();
                if (app.Process.ExitCode != 0)
                {
                    report.Notes.Add($"N={n:N0}, synchronous={synchronous}: the app exited with code {app.Process.ExitCode} on SIGTERM. Last output: {app.Process.Tail()}");
                }
            }

            // The Users page only reads, which the setting does not change: measured once, on the verdict setting's database.
            if (options.Phases.Contains(Phases.UsersPage) && synchronous == SyncSettings.Verdict(options.Synchronous))
            {
                var source = "SCIM";
                if (!usersEndpoint)
                {
                    await UsersPageBench.SeedAsync(databasePath, users, Log, ct);
                    source = "seeded";
                }

                report.UsersPage.AddRange(await UsersPageBench.MeasureAsync(databasePath, n, users, options.UsersPageIterations, source, Log, ct));
            }
        }

        if (!options.Keep)
        {
            TryDelete(folder);
        }
    }

    private const string TempPrefix = "catalytic-bench-";
    private const string PidFile = "bench.pid";

    /// <summary>Temp folders of earlier runs that were killed outright (SIGKILL) and so could not clean up.</summary>
    private static void RemoveStaleTempFolders()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            var pidFile = Path.Combine(folder, PidFile);
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out var pid) && !IsAlive(pid))
            {
                Log($"Removing {folder}, left by an earlier run that was killed");
                TryDelete(folder);
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"Could not remove {folder}: {e.Message}");
        }
    }
}
