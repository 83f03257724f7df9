using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Catalytic.Admin.Bench;

/// <summary>
/// A server the bench started (the app or the ceiling). Keeps the tail of its output for error messages,
/// and is stopped with SIGTERM (so the app flushes its activity log), then killed if it does not exit.
/// Every child is also registered so that an early exit or Ctrl+C never leaves one running.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private readonly Process process;
    private readonly ConcurrentQueue<string> tail = new();

    private readonly bool captureAll;
    private readonly ConcurrentQueue<string> stdout = new();
    private readonly ConcurrentQueue<string> stderr = new();

    private ChildProcess(Process process, string name, bool captureAll)
    {
        this.process = process;
        this.captureAll = captureAll;
        Name = name;
    }

    public string Name { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public static ChildProcess Start(
        string name, string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, string? workingDirectory = null, bool captureAll = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, name, captureAll);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data, child.stdout);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data, child.stderr);
        process.Start();
        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines the process wrote (stdout and stderr), for error messages.</summary>
    public string Tail() => string.Join(Environment.NewLine, tail);

    public Task WaitForExitAsync(CancellationToken ct) => process.WaitForExitAsync(ct);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            if (!process.HasExited)
            {
                if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
                {
                    _ = Kill(process.Id, SigTerm);
                }
                else
                {
                    process.Kill(entireProcessTree: true);
                }

                using var timeout = new CancellationTokenSource(grace);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            Live.TryRemove(process.Id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(20));
        process.Dispose();
    }

    /// <summary>Last resort (process exit, second Ctrl+C): kills every child still running, at once.</summary>
    public static void KillAll()
    {
        foreach (var (_, process) in Live)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    /// <summary>Runs a short command to completion and returns its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, CancellationToken ct)
    {
        await using var child = Start(Path.GetFileName(fileName), fileName, args, environment, captureAll: true);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await child.process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (-1, "", $"timed out after {timeout.TotalSeconds:0} s{Environment.NewLine}{child.Tail()}");
        }

        // Let the asynchronous readers catch up with the last lines.
        child.process.WaitForExit();
        return (child.process.ExitCode, string.Join(Environment.NewLine, child.stdout), string.Join(Environment.NewLine, child.stderr));
    }

    private void Keep(string? line, ConcurrentQueue<string> all)
    {
        if (line is null)
        {
            return;
        }

        if (captureAll)
        {
            all.Enqueue(line);
        }

        tail.Enqueue(line);
        while (tail.Count > 60 && tail.TryDequeue(out _))
        {
        }
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>CPU time and peak memory of a process, from Linux's /proc (null elsewhere).</summary>
internal static partial class ProcessStats
{
    private static readonly long TicksPerSecond = ReadClockTicks();

    /// <summary>User + system CPU time the process has used so far.</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds((utime + stime) / (double)TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long? PeakRss(int pid) => ReadStatusKb(pid, "VmHWM:");

    public static long? CurrentRss(int pid) => ReadStatusKb(pid, "VmRSS:");

    private static long? ReadStatusKb(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var kb = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    /// <summary>One line about the machine: cores, CPU model, memory, load.</summary>
    public static string DescribeMachine()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores");
        if (ReadFirst("/proc/cpuinfo", "model name") is { } model)
        {
            text.Append(CultureInfo.InvariantCulture, $" ({model})");
        }

        if (ReadFirst("/proc/meminfo", "MemTotal") is { } mem && long.TryParse(mem.Split(' ')[0], CultureInfo.InvariantCulture, out var kb))
        {
            text.Append(CultureInfo.InvariantCulture, $", {kb / 1024.0 / 1024.0:0.#} GiB RAM");
        }

        text.Append(CultureInfo.InvariantCulture, $", {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        return text.ToString();
    }

    /// <summary>The 1-minute load average, to warn that numbers taken on a busy machine are noisy.</summary>
    public static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static string? ReadFirst(string file, string key)
    {
        try
        {
            var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long ReadClockTicks()
    {
        try
        {
            var ticks = OperatingSystem.IsLinux() ? SysConf(ScClkTck) : -1;
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    private const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
