using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Catalytic.Admin.Bench;

/// <summary>The targets of issue 5, per phase: throughput as a ratio to the ceiling, and p95 latency.</summary>
internal static class Targets
{
    public const double LookupGrowth = 1.5;
    public const double DeepPageFactor = 3;
    public const double PeakRssMb = 300;
    public const double UsersPageMs = UsersPageBench.TargetMs;

    private static readonly Dictionary<string, (double? MinRatio, double? MaxP95Ms)> ByPhase = new()
    {
        ["sync.lookup"] = (null, 10),
        ["sync.create"] = (0.5, 10),
        ["lookup"] = (0.4, 10),
        ["patch"] = (0.45, 10),
        ["list"] = (0.3, 50),
        ["get"] = (0.45, 10),
    };

    public static (double? MinRatio, double? MaxP95Ms) For(string phase) => ByPhase.GetValueOrDefault(phase);

    public static string Describe(string phase)
    {
        var (ratio, p95) = For(phase);
        var parts = new List<string>();
        if (ratio is { } r)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"≥{r:0.##}×"));
        }

        if (p95 is { } p)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"p95≤{p:0}"));
        }

        return parts.Count == 0 ? "-" : string.Join(' ', parts);
    }
}

public sealed record ComparisonRow(
    int N,
    string? Synchronous,
    string Phase,
    double? AppRequestsPerSecond,
    double? CeilingRequestsPerSecond,
    double? Ratio,
    string Target,
    LatencySummary? AppLatency,
    LatencySummary? CeilingLatency,
    int? Errors,
    int? Lost,
    int? Leaked,
    double? ServerCpuMsPerRequest,
    double? CeilingCpuMsPerRequest,
    double? PeakRssMb,
    int? CeilingProblems,
    string Result);

public sealed record CheckResult(string Name, string Measured, string Target, string Result);

public sealed record BenchReport
{
    public required string Machine { get; init; }

    public double? LoadAverageAtStart { get; init; }

    /// <summary>ReadyToRun or not, and the JIT and GC settings of the app measured.</summary>
    public string? App { get; set; }

    public required DateTime StartedAtUtc { get; init; }

    public required IReadOnlyList<int> Ns { get; init; }

    public required int Concurrency { get; init; }

    public required IReadOnlyList<string> Phases { get; init; }

    public required IReadOnlyList<string> Targets { get; init; }

    public required double PhaseTimeoutSeconds { get; init; }

    /// <summary>SQLite synchronous settings measured (each N with each, the app and the ceiling alike).</summary>
    public required IReadOnlyList<string> Synchronous { get; init; }

    public List<string> Notes { get; init; } = [];

    public List<PhaseResult> Results { get; init; } = [];

    public List<ComparisonRow> Rows { get; init; } = [];

    public List<UsersPageResult> UsersPage { get; init; } = [];

    public List<CheckResult> Checks { get; init; } = [];

    /// <summary>Null when there is no verdict (the app was not measured).</summary>
    public bool? Passed { get; set; }
}

/// <summary>Turns phase results into the comparison table, the checks across N, and the JSON file.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Evaluate(BenchReport report)
    {
        report.Rows.Clear();
        report.Checks.Clear();
        var verdict = SyncSettings.Verdict(report.Synchronous);
        foreach (var n in report.Ns)
        {
            var phases = report.Results.Where(r => r.N == n).Select(r => r.Phase).Distinct().ToList();
            foreach (var phase in phases)
            {
                foreach (var synchronous in report.Synchronous)
                {
                    var app = Find(report, n, synchronous, phase, "app");
                    var ceiling = Find(report, n, synchronous, phase, "ceiling");
                    report.Rows.Add(Compare(n, synchronous, phase, app, ceiling, checkTargets: synchronous == verdict));
                }
            }
        }

        AddChecks(report);
        // Not measuring a phase is not passing it: rows the app could not run (n/a) fail the run.
        var measuredApp = report.Results.Any(r => r.Target == "app");
        report.Passed = measuredApp
            ? report.Rows.All(r => r.Result == "pass") && report.Checks.All(c => c.Result == "pass")
            : null;
    }

    public static string Table(BenchReport report)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {report.Machine}");
        if (report.App is { } app)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"App: {app}");
        }

        if (report.LoadAverageAtStart is { } load)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Load average at start: {load:0.00}{(load > 0.5 ? "  (the machine was busy: numbers are noisy)" : "")}");
        }

        foreach (var n in report.Ns)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"N = {n:N0} users, concurrency {report.Concurrency} (probes: 1 client). Latencies and server CPU per request in ms; ratio = app ÷ ceiling, both at the row's SQLite synchronous; targets checked at {SyncSettings.Verdict(report.Synchronous)}.");
            var rows = new List<string[]>
            {
                new[] { "phase", "synchronous", "req/s app", "req/s ceiling", "ratio", "target", "p50/p95/p99 app", "p50/p95/p99 ceiling", "errors", "lost", "leaked", "CPU/req app", "CPU/req ceiling", "peak RSS MB", "result" },
            };
            foreach (var r in report.Rows.Where(r => r.N == n))
            {
                rows.Add(
                [
                    r.Phase, r.Synchronous ?? "-", Num(r.AppRequestsPerSecond, "N0"), Num(r.CeilingRequestsPerSecond, "N0"), Num(r.Ratio, "0.00"), r.Target,
                    Latencies(r.AppLatency), Latencies(r.CeilingLatency), Num(r.Errors), Num(r.Lost), Num(r.Leaked),
                    Num(r.ServerCpuMsPerRequest, "0.000"), Num(r.CeilingCpuMsPerRequest, "0.000"), Num(r.PeakRssMb, "0"),
                    r.CeilingProblems > 0 ? $"{r.Result} (ceiling had {r.CeilingProblems} problems: bench bug?)" : r.Result,
                ]);
            }

            AppendTable(text, rows);
            AppendCostOfFull(text, report, n);
        }

        if (report.UsersPage.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Users page server time (UserDirectory.SearchAsync in process, as the page calls it, page of {UsersPageBench.PageSize}, warm), target p50 ≤ {Targets.UsersPageMs:0} ms:");
            var rows = new List<string[]> { new[] { "N", "operation", "total", "rows", "p50 ms", "max ms", "data", "result" } };
            foreach (var u in report.UsersPage)
            {
                rows.Add(
                [
                    u.N.ToString("N0", CultureInfo.InvariantCulture), u.Operation, u.TotalResults.ToString("N0", CultureInfo.InvariantCulture),
                    u.Rows.ToString(CultureInfo.InvariantCulture), Num(u.Latency.P50Ms, "0.0"), Num(u.Latency.MaxMs, "0.0"), u.DataSource,
                    u.Latency.P50Ms <= Targets.UsersPageMs ? "pass" : "FAIL",
                ]);
            }

            AppendTable(text, rows);
        }

        if (report.Checks.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Checks:");
            var rows = new List<string[]> { new[] { "check", "measured", "target", "result" } };
            rows.AddRange(report.Checks.Select(c => new[] { c.Name, c.Measured, c.Target, c.Result }));
            AppendTable(text, rows);
        }

        var problems = report.Results.Where(r => r.ProblemSamples.Count > 0).ToList();
        if (problems.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Problems seen (first distinct messages per phase):");
            foreach (var r in problems)
            {
                foreach (var sample in r.ProblemSamples)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  N={r.N:N0} {r.Synchronous} {r.Target} {r.Phase}: {sample}");
                }
            }
        }

        if (report.Notes.Count > 0)
        {
            text.AppendLine();
            foreach (var note in report.Notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Note: {note}");
            }
        }

        text.AppendLine();
        text.AppendLine(report.Passed switch
        {
            true => "RESULT: PASS — every target of issue 5 is met.",
            false => $"RESULT: FAIL — {report.Rows.Count(r => r.Result.StartsWith("FAIL", StringComparison.Ordinal)) + report.Checks.Count(c => c.Result != "pass")} rows or checks failed, {report.Rows.Count(r => r.Result == "n/a")} phases were not measured on the app (n/a).",
            null => "RESULT: no verdict — the app was not measured.",
        });
        return text.ToString();
    }

    public static async Task WriteJsonAsync(BenchReport report, string path, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, report, Json, ct);
    }

    private static PhaseResult? Find(BenchReport report, int n, string synchronous, string phase, string target) =>
        report.Results.FirstOrDefault(r => r.N == n && r.Synchronous == synchronous && r.Phase == phase && r.Target == target);

    /// <summary>What durable commits cost: FULL against NORMAL per phase, for the app and for the ceiling.</summary>
    private static void AppendCostOfFull(StringBuilder text, BenchReport report, int n)
    {
        if (!report.Synchronous.Contains(SyncSettings.Full) || !report.Synchronous.Contains(SyncSettings.Normal))
        {
            return;
        }

        var rows = new List<string[]> { new[] { "phase", "app req/s FULL/NORMAL", "app p95 FULL−NORMAL ms", "ceiling req/s FULL/NORMAL", "ceiling p95 FULL−NORMAL ms" } };
        foreach (var phase in report.Rows.Where(r => r.N == n).Select(r => r.Phase).Distinct())
        {
            string Cost(string target)
            {
                var full = Find(report, n, SyncSettings.Full, phase, target);
                var normal = Find(report, n, SyncSettings.Normal, phase, target);
                return full is null || normal is null || normal.RequestsPerSecond <= 0
                    ? "-"
                    : string.Create(CultureInfo.InvariantCulture, $"{full.RequestsPerSecond / normal.RequestsPerSecond:0.00}×");
            }

            string P95(string target) =>
                Find(report, n, SyncSettings.Full, phase, target)?.Latency.P95Ms is { } full && Find(report, n, SyncSettings.Normal, phase, target)?.Latency.P95Ms is { } normal
                    ? string.Create(CultureInfo.InvariantCulture, $"{full - normal:+0.0;-0.0;0.0}")
                    : "-";

            rows.Add([phase, Cost("app"), P95("app"), Cost("ceiling"), P95("ceiling")]);
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Cost of FULL at N = {n:N0} (FULL ÷ NORMAL throughput, FULL − NORMAL p95):");
        AppendTable(text, rows);
    }

    /// <summary>
    /// Errors, lost and leaked fail every row; the throughput and p95 targets only the rows of the setting the
    /// product ships (<paramref name="checkTargets"/>), the other setting is shown for its cost.
    /// </summary>
    private static ComparisonRow Compare(int n, string synchronous, string phase, PhaseResult? app, PhaseResult? ceiling, bool checkTargets)
    {
        var ratio = app is not null && ceiling is { RequestsPerSecond: > 0 } ? Math.Round(app.RequestsPerSecond / ceiling.RequestsPerSecond, 3) : (double?)null;
        var (minRatio, maxP95) = checkTargets ? Targets.For(phase) : (null, null);
        string result;
        if (app is null)
        {
            result = "n/a";
        }
        else
        {
            var failures = new List<string>();
            if (app.TimedOut)
            {
                failures.Add("timed out");
            }

            if (app.Errors > 0)
            {
                failures.Add("errors");
            }

            if (app.Lost > 0)
            {
                failures.Add("lost");
            }

            if (app.Leaked > 0)
            {
                failures.Add("leaked");
            }

            if (minRatio is { } min && ratio is { } r && r < min)
            {
                failures.Add("ratio");
            }

            if (maxP95 is { } max && app.Latency.P95Ms is { } p95 && p95 > max)
            {
                // Still a failure, but say when the raw-SQLite ceiling misses it too on this machine: then the
                // target is beyond what the hardware does at this concurrency, not something the app adds.
                failures.Add(ceiling?.Latency.P95Ms > max ? "p95 (ceiling too)" : "p95");
            }

            result = failures.Count == 0 ? "pass" : "FAIL: " + string.Join(", ", failures);
        }

        return new ComparisonRow(
            n, synchronous, phase, app?.RequestsPerSecond, ceiling?.RequestsPerSecond, ratio, checkTargets ? Targets.Describe(phase) : "-", app?.Latency, ceiling?.Latency,
            app?.Errors, app?.Lost, app?.Leaked, app?.ServerCpuMsPerRequest, ceiling?.ServerCpuMsPerRequest, app?.PeakRssMb,
            ceiling is null ? null : ceiling.Errors + ceiling.Lost + ceiling.Leaked + (ceiling.TimedOut ? 1 : 0), result);
    }

    private static void AddChecks(BenchReport report)
    {
        var verdict = SyncSettings.Verdict(report.Synchronous);
        var app = report.Results.Where(r => r.Target == "app" && r.Synchronous == verdict).ToList();
        if (app.Count == 0)
        {
            return;
        }

        var ns = app.Select(r => r.N).Distinct().Order().ToList();
        var smallest = ns[0];
        var largest = ns[^1];
        double? P50(string phase, int n) => app.FirstOrDefault(r => r.Phase == phase && r.N == n)?.Latency.P50Ms;

        if (ns.Count > 1 && P50("probe.lookup", smallest) is { } small && P50("probe.lookup", largest) is { } large && small > 0)
        {
            var growth = large / small;
            report.Checks.Add(new CheckResult(
                $"filtered-lookup p50 at N={largest:N0} vs N={smallest:N0}",
                string.Create(CultureInfo.InvariantCulture, $"{large:0.00} ms vs {small:0.00} ms = {growth:0.00}×"),
                string.Create(CultureInfo.InvariantCulture, $"≤ {Targets.LookupGrowth:0.0}×"),
                growth <= Targets.LookupGrowth ? "pass" : "FAIL"));
        }

        if (P50("probe.page.first", largest) is { } first && P50("probe.page.deep", largest) is { } deep && first > 0)
        {
            var factor = deep / first;
            report.Checks.Add(new CheckResult(
                $"page at depth {largest:N0} vs first page (p50)",
                string.Create(CultureInfo.InvariantCulture, $"{deep:0.00} ms vs {first:0.00} ms = {factor:0.00}×"),
                string.Create(CultureInfo.InvariantCulture, $"≤ {Targets.DeepPageFactor:0}×"),
                factor <= Targets.DeepPageFactor ? "pass" : "FAIL"));
        }

        if (app.Where(r => r.N == largest).Max(r => r.PeakRssMb) is { } rss)
        {
            report.Checks.Add(new CheckResult(
                $"app peak RSS at N={largest:N0}",
                string.Create(CultureInfo.InvariantCulture, $"{rss:0} MB"),
                string.Create(CultureInfo.InvariantCulture, $"≤ {Targets.PeakRssMb:0} MB"),
                rss <= Targets.PeakRssMb ? "pass" : "FAIL"));
        }

        foreach (var page in report.UsersPage.Where(u => u.N == largest))
        {
            report.Checks.Add(new CheckResult(
                $"Users page at N={largest:N0}: {page.Operation}",
                string.Create(CultureInfo.InvariantCulture, $"p50 {page.Latency.P50Ms:0.0} ms"),
                string.Create(CultureInfo.InvariantCulture, $"≤ {Targets.UsersPageMs:0} ms"),
                page.Latency.P50Ms <= Targets.UsersPageMs ? "pass" : "FAIL"));
        }
    }

    private static void AppendTable(StringBuilder text, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            text.AppendLine(string.Join("  ", rows[i].Select((cell, c) => c == 0 || c == rows[i].Length - 1 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
            if (i == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }
    }

    private static string Latencies(LatencySummary? l) =>
        l is { P50Ms: { } p50, P95Ms: { } p95, P99Ms: { } p99 } ? string.Create(CultureInfo.InvariantCulture, $"{p50:0.0}/{p95:0.0}/{p99:0.0}") : "-";

    private static string Num(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Num(int? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "-";
}
