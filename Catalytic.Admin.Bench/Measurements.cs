using System.Collections.Concurrent;
using System.Diagnostics;

namespace Catalytic.Admin.Bench;

/// <summary>Latencies of one kind of request, recorded lock-free by many workers.</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly long[] ticks = new long[Math.Max(1, capacity)];
    private int count;

    public int Count => Math.Min(Volatile.Read(ref count), ticks.Length);

    public void Add(long elapsedTicks)
    {
        var index = Interlocked.Increment(ref count) - 1;
        if (index < ticks.Length)
        {
            ticks[index] = elapsedTicks;
        }
    }

    public LatencySummary Summarize()
    {
        var n = Count;
        if (n == 0)
        {
            return new LatencySummary(0, null, null, null, null);
        }

        var sorted = ticks[..n];
        Array.Sort(sorted);
        return new LatencySummary(n, Ms(Percentile(sorted, 0.50)), Ms(Percentile(sorted, 0.95)), Ms(Percentile(sorted, 0.99)), Ms(sorted[^1]));
    }

    private static long Percentile(long[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Ms(long t) => Math.Round(t * 1000.0 / Stopwatch.Frequency, 3);
}

public sealed record LatencySummary(int Count, double? P50Ms, double? P95Ms, double? P99Ms, double? MaxMs);

/// <summary>What went wrong in a phase: counts and the first few distinct messages, for the report.</summary>
internal sealed class Problems
{
    private readonly ConcurrentDictionary<string, int> samples = new();
    private int errors;
    private int lost;
    private int leaked;

    public int Errors => Volatile.Read(ref errors);

    /// <summary>Something the server acknowledged that did not come back as acknowledged.</summary>
    public int Lost => Volatile.Read(ref lost);

    /// <summary>An attribute that must be dropped (title, locale, password…) came back.</summary>
    public int Leaked => Volatile.Read(ref leaked);

    public void Error(string message)
    {
        Interlocked.Increment(ref errors);
        Sample("error: " + message);
    }

    public void Lose(string message)
    {
        Interlocked.Increment(ref lost);
        Sample("lost: " + message);
    }

    public void Leak(string message)
    {
        Interlocked.Increment(ref leaked);
        Sample("leaked: " + message);
    }

    public IReadOnlyList<string> Samples() => [.. samples.Select(s => s.Value > 1 ? $"{s.Key} (×{s.Value})" : s.Key).Order(StringComparer.Ordinal)];

    private void Sample(string message)
    {
        if (message.Length > 300)
        {
            message = message[..300] + "…";
        }

        // Keep at most ten distinct messages, counting repeats.
        if (samples.Count < 10 || samples.ContainsKey(message))
        {
            samples.AddOrUpdate(message, 1, (_, n) => n + 1);
        }
    }
}

/// <summary>One row of the report: one kind of request in one phase against one server.</summary>
public sealed record PhaseResult
{
    public required string Phase { get; init; }

    public required string Target { get; init; }

    public int N { get; init; }

    /// <summary>SQLite <c>synchronous</c> of the server measured (FULL or NORMAL; the app and the ceiling alike).</summary>
    public string? Synchronous { get; init; }

    public int Concurrency { get; init; }

    public int Requests { get; init; }

    public double Seconds { get; init; }

    public double RequestsPerSecond { get; init; }

    public required LatencySummary Latency { get; init; }

    public int Errors { get; init; }

    public int Lost { get; init; }

    public int Leaked { get; init; }

    /// <summary>The phase hit its time limit before doing all its requests.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Server CPU (user + system) per request of the whole phase, in milliseconds.</summary>
    public double? ServerCpuMsPerRequest { get; init; }

    /// <summary>The bench's own CPU per request: the load generator shares the machine with the server.</summary>
    public double? ClientCpuMsPerRequest { get; init; }

    /// <summary>The server's peak RSS since it started (VmHWM), read at the end of the phase.</summary>
    public double? PeakRssMb { get; init; }

    public IReadOnlyList<string> ProblemSamples { get; init; } = [];
}
