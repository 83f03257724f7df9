using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Catalytic.Admin.Bench.Ceiling;

namespace Catalytic.Admin.Bench;

internal static class Phases
{
    public const string Sync = "sync";
    public const string Lookup = "lookup";
    public const string Patch = "patch";
    public const string List = "list";
    public const string Get = "get";
    public const string Probe = "probe";
    public const string UsersPage = "userspage";
    public const string Discovery = "discovery";

    public static readonly string[] Default = [Sync, Lookup, Patch, List, Get, Probe, UsersPage];
    public static readonly string[] All = [.. Default, Discovery];
}

internal sealed record BenchOptions(
    IReadOnlyList<int> Ns,
    int Concurrency,
    IReadOnlySet<string> Phases,
    bool RunApp,
    bool RunCeiling,
    string? JsonPath,
    TimeSpan PhaseTimeout,
    int ProbeSamples,
    int UsersPageIterations,
    string? AppFolder,
    bool Keep,
    int Seed,
    IReadOnlyList<string> Synchronous);

/// <summary>SQLite <c>synchronous</c> settings the app and the ceiling run with, always the same for both.</summary>
internal static class SyncSettings
{
    /// <summary>What the product ships (<c>Catalytic:Database:Synchronous</c> defaults to Full): the targets are checked on it.</summary>
    public const string Full = "FULL";
    public const string Normal = "NORMAL";
    public const string Both = "both";

    /// <summary>The setting whose rows get a pass/fail against the targets: FULL when measured.</summary>
    public static string Verdict(IReadOnlyList<string> measured) => measured.Contains(Full) ? Full : measured[0];
}

/// <summary>
/// <c>Catalytic.Admin.Bench</c>: SCIM provisioning speed and memory of the app as ratios to this machine's
/// ceiling (issue 5). <c>ceiling</c> is the mode the bench starts its ceiling server in.
/// </summary>
internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        var ns = new Option<string>("--n") { Description = "Directory sizes to run, comma-separated", DefaultValueFactory = _ => "20000,100000" };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent requests, like an IdP's parallel connections", DefaultValueFactory = _ => 16 };
        var phases = new Option<string>("--phases")
        {
            Description = $"Phases, comma-separated, from: {string.Join(',', Phases.All)} (sync always runs when another needs users)",
            DefaultValueFactory = _ => string.Join(',', Phases.Default),
        };
        var targets = new Option<string>("--targets") { Description = "Servers to measure: app, ceiling or both", DefaultValueFactory = _ => "app,ceiling" };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var phaseTimeout = new Option<int>("--phase-timeout") { Description = "Time limit of one phase, in seconds", DefaultValueFactory = _ => 600 };
        var probeSamples = new Option<int>("--probe-samples") { Description = "Requests per single-client probe", DefaultValueFactory = _ => 200 };
        var pageIterations = new Option<int>("--users-page-iterations") { Description = "Timed calls per Users page operation", DefaultValueFactory = _ => 20 };
        var app = new Option<string?>("--app") { Description = "Folder of an already published app (skips dotnet publish)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the temp folder (databases, published app) and print where it is" };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated users", DefaultValueFactory = _ => 1 };
        var synchronous = new Option<string>("--synchronous")
        {
            Description = "SQLite synchronous setting of the app and the ceiling (always the same for both); both measures each N with FULL and with NORMAL",
            DefaultValueFactory = _ => SyncSettings.Both,
        };
        synchronous.AcceptOnlyFromAmong(SyncSettings.Full, SyncSettings.Normal, SyncSettings.Both);

        var root = new RootCommand("SCIM provisioning benchmark of Catalytic.Admin against this machine's ceiling (issue 5)")
        {
            ns, concurrency, phases, targets, json, phaseTimeout, probeSamples, pageIterations, app, keep, seed, synchronous,
        };
        root.SetAction(async (parse, ct) =>
        {
            var options = Validate(
                parse.GetValue(ns)!, parse.GetValue(concurrency), parse.GetValue(phases)!, parse.GetValue(targets)!, parse.GetValue(json),
                parse.GetValue(phaseTimeout), parse.GetValue(probeSamples), parse.GetValue(pageIterations), parse.GetValue(app), parse.GetValue(keep), parse.GetValue(seed),
                parse.GetValue(synchronous)!, out var error);
            if (options is null)
            {
                await Console.Error.WriteLineAsync($"error: {error}");
                return 2;
            }

            return await WithSignalsAsync(token => new BenchRunner(options).RunAsync(token));
        });

        var port = new Option<int>("--port") { Description = "Loopback port to listen on", Required = true };
        var db = new Option<string>("--db") { Description = "SQLite file (created if missing)", Required = true };
        var team = new Option<string>("--team") { Description = "Team slug in the SCIM URL", DefaultValueFactory = _ => Servers.TeamSlug };
        var parentPid = new Option<int?>("--parent-pid") { Description = "Exit when this process is gone" };
        var ceilingSynchronous = new Option<string>("--synchronous") { Description = "SQLite synchronous setting", DefaultValueFactory = _ => SyncSettings.Full };
        ceilingSynchronous.AcceptOnlyFromAmong(SyncSettings.Full, SyncSettings.Normal);
        var ceiling = new Command("ceiling", $"Run the ceiling SCIM server (started by the bench; token in {CeilingServer.TokenVariable})")
        {
            port, db, team, ceilingSynchronous, parentPid,
        };
        ceiling.SetAction((parse, ct) => CeilingServer.RunAsync(
            parse.GetValue(port), parse.GetValue(db)!, parse.GetValue(team)!, parse.GetValue(ceilingSynchronous)!, parse.GetValue(parentPid), ct));
        root.Subcommands.Add(ceiling);

        // Signals are handled below (children must be stopped and the temp folder removed), not by the parser.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static BenchOptions? Validate(
        string ns, int concurrency, string phases, string targets, string? json, int phaseTimeout, int probeSamples, int pageIterations,
        string? app, bool keep, int seed, string synchronous, out string? error)
    {
        error = null;
        var sizes = new List<int>();
        foreach (var part in ns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1_000_000)
            {
                error = $"--n: '{part}' is not a directory size between 1 and 1,000,000.";
                return null;
            }

            sizes.Add(n);
        }

        var chosen = phases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.ToLowerInvariant()).ToHashSet();
        if (chosen.FirstOrDefault(p => !Phases.All.Contains(p)) is { } unknown)
        {
            error = $"--phases: unknown phase '{unknown}'; choose from {string.Join(", ", Phases.All)}.";
            return null;
        }

        if (chosen.Any(p => p is not (Phases.Discovery or Phases.Sync)))
        {
            chosen.Add(Phases.Sync);
        }

        var servers = targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant()).ToHashSet();
        if (servers.Count == 0 || servers.Any(t => t is not ("app" or "ceiling")))
        {
            error = "--targets: use app, ceiling or app,ceiling.";
            return null;
        }

        if (sizes.Count == 0 || concurrency is < 1 or > 256 || phaseTimeout < 1 || probeSamples < 1 || pageIterations < 1)
        {
            error = "--n needs at least one size; --concurrency 1-256; --phase-timeout, --probe-samples and --users-page-iterations at least 1.";
            return null;
        }

        return new BenchOptions(
            sizes, concurrency, chosen, servers.Contains("app"), servers.Contains("ceiling"), json, TimeSpan.FromSeconds(phaseTimeout),
            probeSamples, pageIterations, app, keep, seed,
            synchronous == SyncSettings.Both ? [SyncSettings.Full, SyncSettings.Normal] : [synchronous]);
    }

    /// <summary>
    /// First Ctrl+C (or SIGTERM): cancel the run, which stops the servers and removes the temp folder.
    /// A second one: kill the servers at once and exit.
    /// </summary>
    private static async Task<int> WithSignalsAsync(Func<CancellationToken, Task<int>> run)
    {
        using var cancel = new CancellationTokenSource();
        void Handle(PosixSignalContext context)
        {
            if (!cancel.IsCancellationRequested)
            {
                context.Cancel = true;
                Console.Error.WriteLine("Stopping: shutting the servers down and removing the temp folder (again to force)…");
                cancel.Cancel();
            }
            else
            {
                ChildProcess.KillAll();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
        try
        {
            return await run(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
        catch (BenchException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        finally
        {
            ChildProcess.KillAll();
        }
    }
}
