using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Catalytic.Admin.Bench;

internal sealed record DriverOptions(int Concurrency, TimeSpan PhaseTimeout, int ProbeSamples, IReadOnlySet<string> Phases);

/// <summary>
/// Drives a SCIM endpoint the way an IdP does, phase by phase, at a fixed concurrency, and checks what comes
/// back. Every phase does a bounded number of requests and stops at its time limit.
/// </summary>
internal sealed class ScimDriver : IDisposable
{
    public const int PageSize = 100;
    private static readonly MediaTypeHeaderValue ScimMediaType = new("application/scim+json");

    private readonly string target;
    private readonly int? serverPid;
    private readonly DriverOptions options;
    private readonly Action<string> log;
    private readonly HttpClient http;

    public ScimDriver(string target, Uri scimBase, string token, int? serverPid, DriverOptions options, Action<string> log)
    {
        if (!IPAddress.TryParse(scimBase.Host, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"The bench only sends load to loopback addresses, not to {scimBase.Host}.", nameof(scimBase));
        }

        this.target = target;
        this.serverPid = serverPid;
        this.options = options;
        this.log = log;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = Math.Max(1, options.Concurrency),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        http = new HttpClient(handler)
        {
            BaseAddress = new Uri(scimBase.ToString().TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/scim+json"));
    }

    public void Dispose() => http.Dispose();

    /// <summary>
    /// Null when <c>/Users</c> answers like a SCIM endpoint, else why not (e.g. the app has no Users routes yet).
    /// </summary>
    public async Task<string?> CheckUsersEndpointAsync(CancellationToken ct)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "Users?filter=" + Uri.EscapeDataString(Workload.UserNameFilter("benchprobe")), null, null, ct);
        if (status == 200 && TryParse(body) is { } doc)
        {
            using (doc)
            {
                if (Workload.Int(doc.RootElement, "totalResults") is not null)
                {
                    return null;
                }
            }
        }

        return $"GET /Users?filter=… answered {status}: {Shorten(Encoding.UTF8.GetString(body))}";
    }

    /// <summary>Checks the bearer token works, through the discovery route every SCIM server has.</summary>
    public async Task<string?> CheckAuthenticationAsync(CancellationToken ct)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "ServiceProviderConfig", null, null, ct);
        return status == 200 ? null : $"GET /ServiceProviderConfig answered {status}: {Shorten(Encoding.UTF8.GetString(body))}";
    }

    public async Task<List<PhaseResult>> RunAsync(ExpectedUser[] users, bool usersEndpoint, CancellationToken ct)
    {
        var results = new List<PhaseResult>();
        await WarmUpAsync(usersEndpoint, ct);
        if (options.Phases.Contains(Phases.Discovery))
        {
            results.AddRange(await DiscoveryAsync(users.Length, ct));
        }

        if (!usersEndpoint)
        {
            return results;
        }

        results.AddRange(await SyncAsync(users, ct));
        var created = users.Where(u => u.Id is not null && !u.Uncertain).ToArray();
        if (options.Phases.Contains(Phases.Lookup))
        {
            results.Add(await LookupAsync(created, users.Length, ct));
        }

        if (options.Phases.Contains(Phases.Patch))
        {
            results.Add(await PatchAsync(created, users.Length, ct));
        }

        if (options.Phases.Contains(Phases.List))
        {
            results.Add(await ListAsync(created, users.Length, ct));
        }

        if (options.Phases.Contains(Phases.Get))
        {
            results.Add(await GetAsync(created, users.Length, ct));
        }

        if (options.Phases.Contains(Phases.Probe))
        {
            results.AddRange(await ProbeAsync(created, users.Length, ct));
        }

        return results;
    }

    /// <summary>Initial sync: per user, the IdP's lookup (which must miss), then the create.</summary>
    private async Task<IEnumerable<PhaseResult>> SyncAsync(ExpectedUser[] users, CancellationToken ct)
    {
        var lookups = new LatencyRecorder(users.Length);
        var creates = new LatencyRecorder(users.Length);
        var problems = new Problems();
        var run = await RunPhaseAsync("sync", users.Length, options.Concurrency, async (i, token) =>
        {
            var u = users[i];
            var (status, body) = await SendAsync(HttpMethod.Get, FilterUrl(u.UserName), null, lookups, token, problems);
            if (status == 0)
            {
                return;
            }

            if (status != 200 || ListTotal(body) is not 0)
            {
                problems.Error($"lookup before create of a new user: expected 200 with totalResults 0, got {status} {Shorten(body)}");
                return;
            }

            (status, body) = await SendAsync(HttpMethod.Post, "Users", Workload.CreateBody(u), creates, token, problems);
            if (status == 0)
            {
                u.Uncertain = true;
                return;
            }

            using var doc = TryParse(body);
            if (status != 201 || doc is null || Workload.Str(doc.RootElement, "id") is not { Length: > 0 } id)
            {
                problems.Error($"POST /Users: expected 201 with an id, got {status} {Shorten(body)}");
                return;
            }

            u.Id = id;
        }, ct);
        return
        [
            Row("sync.lookup", users.Length, lookups, run, problems, lookups.Count + creates.Count),
            Row("sync.create", users.Length, creates, run, problems, lookups.Count + creates.Count),
        ];
    }

    private async Task<PhaseResult> LookupAsync(ExpectedUser[] created, int n, CancellationToken ct)
    {
        var order = Shuffled(created, n, seed: 11);
        var latencies = new LatencyRecorder(order.Length);
        var problems = new Problems();
        var run = await RunPhaseAsync("lookup", order.Length, options.Concurrency, async (i, token) =>
        {
            var u = order[i];
            var (status, body) = await SendAsync(HttpMethod.Get, FilterUrl(u.UserName), null, latencies, token, problems);
            if (status != 0)
            {
                CheckFound(u, status, body, problems);
            }
        }, ct);
        return Row("lookup", n, latencies, run, problems, latencies.Count);
    }

    private async Task<PhaseResult> PatchAsync(ExpectedUser[] created, int n, CancellationToken ct)
    {
        // Each user is patched once, by one worker, so "last acknowledged" is well defined.
        var order = Shuffled(created, created.Length, seed: 12);
        var latencies = new LatencyRecorder(order.Length);
        var problems = new Problems();
        var run = await RunPhaseAsync("patch", order.Length, options.Concurrency, async (i, token) =>
        {
            var u = order[i];
            var displayName = $"{u.GivenName} {u.FamilyName} (moved)";
            var email = string.Create(CultureInfo.InvariantCulture, $"{u.GivenName}.{u.FamilyName}.{u.Index}.moved@example.org").ToLowerInvariant();
            var (status, body) = await SendAsync(HttpMethod.Patch, "Users/" + u.Id, Workload.PatchBody(displayName, email), latencies, token, problems);
            if (status == 0)
            {
                u.Uncertain = true;
            }
            else if (status is 200 or 204)
            {
                u.DisplayName = displayName;
                u.Email = email;
                u.Active = false;
            }
            else
            {
                problems.Error($"PATCH /Users/{{id}}: expected 200 or 204, got {status} {Shorten(body)}");
            }
        }, ct);
        return Row("patch", n, latencies, run, problems, latencies.Count);
    }

    /// <summary>A full listing by pages of 100; every acknowledged user must appear exactly once.</summary>
    private async Task<PhaseResult> ListAsync(ExpectedUser[] created, int n, CancellationToken ct)
    {
        var problems = new Problems();
        if (await TotalAsync(ct) is not { } total)
        {
            return Unmeasured("list", n, "could not read totalResults from GET /Users?startIndex=1&count=1");
        }

        var pages = (total + PageSize - 1) / PageSize;
        var latencies = new LatencyRecorder(pages);
        var seen = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var run = await RunPhaseAsync("list", pages, options.Concurrency, async (p, token) =>
        {
            var startIndex = (p * PageSize) + 1;
            var (status, body) = await SendAsync(HttpMethod.Get, PageUrl(startIndex), null, latencies, token, problems);
            if (status == 0)
            {
                return;
            }

            using var doc = TryParse(body);
            if (status != 200 || doc is null || Workload.Prop(doc.RootElement, "Resources") is not { ValueKind: JsonValueKind.Array } resources)
            {
                problems.Error($"GET a page: expected 200 with Resources, got {status} {Shorten(body)}");
                return;
            }

            var expectedCount = Math.Min(PageSize, total - startIndex + 1);
            var root = doc.RootElement;
            if (Workload.Int(root, "totalResults") != total || Workload.Int(root, "startIndex") != startIndex
                || Workload.Int(root, "itemsPerPage") != expectedCount || resources.GetArrayLength() != expectedCount)
            {
                problems.Error($"page at startIndex {startIndex}: expected totalResults {total}, itemsPerPage and {expectedCount} resources, got totalResults {Workload.Int(root, "totalResults")}, startIndex {Workload.Int(root, "startIndex")}, itemsPerPage {Workload.Int(root, "itemsPerPage")}, {resources.GetArrayLength()} resources");
            }

            foreach (var resource in resources.EnumerateArray())
            {
                if (Workload.Str(resource, "id") is { } id && !seen.TryAdd(id, 0))
                {
                    problems.Error("a user appeared on two pages of the same listing (unstable page order)");
                }
            }
        }, ct);

        if (!run.TimedOut)
        {
            foreach (var u in created.Where(u => !seen.ContainsKey(u.Id!)))
            {
                problems.Lose($"user {u.UserName} is missing from the full listing");
            }
        }

        return Row("list", n, latencies, run, problems, latencies.Count);
    }

    /// <summary>GET by id: every stored attribute as last acknowledged, no dropped attribute.</summary>
    private async Task<PhaseResult> GetAsync(ExpectedUser[] created, int n, CancellationToken ct)
    {
        var order = Shuffled(created, created.Length, seed: 13);
        var latencies = new LatencyRecorder(order.Length);
        var problems = new Problems();
        var run = await RunPhaseAsync("get", order.Length, options.Concurrency, async (i, token) =>
        {
            var u = order[i];
            var (status, body) = await SendAsync(HttpMethod.Get, "Users/" + u.Id, null, latencies, token, problems);
            if (status == 0)
            {
                return;
            }

            if (status == 404)
            {
                problems.Lose($"user {u.UserName} ({u.Id}) was acknowledged but GET by id says 404");
                return;
            }

            using var doc = TryParse(body);
            if (status != 200 || doc is null)
            {
                problems.Error($"GET /Users/{{id}}: expected 200, got {status} {Shorten(body)}");
                return;
            }

            if (u.Uncertain)
            {
                return;
            }

            var (lost, leaked) = Workload.Compare(u, doc.RootElement, Encoding.UTF8.GetString(body));
            foreach (var difference in lost)
            {
                problems.Lose(difference);
            }

            foreach (var attribute in leaked)
            {
                problems.Leak($"'{attribute}' came back although it must be dropped");
            }
        }, ct);
        return Row("get", n, latencies, run, problems, latencies.Count);
    }

    /// <summary>One client, one request at a time: how a lookup and a page grow with the directory.</summary>
    private async Task<IEnumerable<PhaseResult>> ProbeAsync(ExpectedUser[] created, int n, CancellationToken ct)
    {
        var results = new List<PhaseResult>();
        if (await TotalAsync(ct) is not { } total)
        {
            return [Unmeasured("probe.page.first", n, "could not read totalResults from GET /Users?startIndex=1&count=1")];
        }

        var samples = options.ProbeSamples;
        var random = new Random(14);

        var order = Shuffled(created, samples, seed: 15);
        await WarmUpAsync(order.Take(5).Select(u => FilterUrl(u.UserName)), ct);
        var lookups = new LatencyRecorder(order.Length);
        var lookupProblems = new Problems();
        var run = await RunPhaseAsync("probe.lookup", order.Length, 1, async (i, token) =>
        {
            var (status, body) = await SendAsync(HttpMethod.Get, FilterUrl(order[i].UserName), null, lookups, token, lookupProblems);
            if (status != 0)
            {
                CheckFound(order[i], status, body, lookupProblems);
            }
        }, ct);
        results.Add(Row("probe.lookup", n, lookups, run, lookupProblems, lookups.Count));

        var lastPage = Math.Max(1, total - PageSize + 1);
        foreach (var (name, startIndex) in new (string, Func<int>)[]
        {
            ("probe.page.first", () => 1),
            ("probe.page.random", () => random.Next(1, lastPage + 1)),
            ("probe.page.deep", () => lastPage),
        })
        {
            var count = Math.Max(1, samples / 2);
            var starts = Enumerable.Range(0, count).Select(_ => startIndex()).ToArray();
            await WarmUpAsync(starts.Take(5).Select(PageUrl), ct);
            var latencies = new LatencyRecorder(count);
            var problems = new Problems();
            var pageRun = await RunPhaseAsync(name, count, 1, async (i, token) =>
            {
                var (status, body) = await SendAsync(HttpMethod.Get, PageUrl(starts[i]), null, latencies, token, problems);
                if (status is not (0 or 200))
                {
                    problems.Error($"GET a page: expected 200, got {status} {Shorten(body)}");
                }
            }, ct);
            results.Add(Row(name, n, latencies, pageRun, problems, latencies.Count));
        }

        return results;
    }

    /// <summary>Optional: the cost of authentication and the request pipeline alone.</summary>
    private async Task<IEnumerable<PhaseResult>> DiscoveryAsync(int n, CancellationToken ct)
    {
        var latencies = new LatencyRecorder(n);
        var problems = new Problems();
        var run = await RunPhaseAsync("discovery", n, options.Concurrency, async (_, token) =>
        {
            var (status, body) = await SendAsync(HttpMethod.Get, "ServiceProviderConfig", null, latencies, token, problems);
            if (status is not (0 or 200))
            {
                problems.Error($"GET /ServiceProviderConfig: expected 200, got {status} {Shorten(body)}");
            }
        }, ct);
        return [Row("discovery", n, latencies, run, problems, latencies.Count)];
    }

    /// <summary>
    /// Unmeasured reads at full concurrency before the first phase (no writes: the database stays empty), so
    /// that the first phase does not time the servers' start-up JIT and connection set-up.
    /// </summary>
    private async Task WarmUpAsync(bool usersEndpoint, CancellationToken ct)
    {
        const int Requests = 200;
        log($"  {target}: warm-up ({Requests} unmeasured reads)");
        var next = -1;
        var problems = new Problems();
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < Requests)
            {
                await SendAsync(HttpMethod.Get, "ServiceProviderConfig", null, null, ct, problems);
                if (usersEndpoint)
                {
                    await SendAsync(HttpMethod.Get, FilterUrl("warmup" + next.ToString(CultureInfo.InvariantCulture)), null, null, ct, problems);
                }
            }
        }, CancellationToken.None)));
    }

    /// <summary>A few unmeasured requests, so a probe does not time the first call of a code path.</summary>
    private async Task WarmUpAsync(IEnumerable<string> urls, CancellationToken ct)
    {
        foreach (var url in urls)
        {
            await SendAsync(HttpMethod.Get, url, null, null, ct, new Problems());
        }
    }

    private static void CheckFound(ExpectedUser u, int status, byte[] body, Problems problems)
    {
        using var doc = TryParse(body);
        if (status != 200 || doc is null || Workload.Int(doc.RootElement, "totalResults") is not { } total)
        {
            problems.Error($"filtered lookup: expected 200 with a ListResponse, got {status} {Shorten(body)}");
        }
        else if (total == 0)
        {
            problems.Lose($"filter userName eq \"{u.UserName}\" found nothing although the user was created");
        }
        else if (total != 1 || Workload.Prop(doc.RootElement, "Resources") is not { ValueKind: JsonValueKind.Array } resources
            || resources.GetArrayLength() != 1 || Workload.Str(resources[0], "id") != u.Id)
        {
            problems.Error($"filter userName eq \"{u.UserName}\": expected exactly that user, got {Shorten(body)}");
        }
    }

    private async Task<int?> TotalAsync(CancellationToken ct)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "Users?startIndex=1&count=1", null, null, ct, new Problems());
        if (status == 200 && ListTotal(body) is { } total)
        {
            return total;
        }

        log($"  {target}: GET /Users?startIndex=1&count=1 answered {status} {Shorten(body)}");
        return null;
    }

    /// <summary>A phase that could not run: one error, so it fails instead of looking fine.</summary>
    private PhaseResult Unmeasured(string phase, int n, string why)
    {
        var problems = new Problems();
        problems.Error(why);
        return Row(phase, n, new LatencyRecorder(0), new PhaseRun(0, false, null, TimeSpan.Zero, null), problems, 0);
    }

    private sealed record PhaseRun(double Seconds, bool TimedOut, TimeSpan? ServerCpu, TimeSpan ClientCpu, long? PeakRss);

    /// <summary>
    /// Runs <paramref name="count"/> operations on <paramref name="concurrency"/> workers, bounded by the phase
    /// time limit, and measures elapsed time and the server's CPU and peak memory around them.
    /// </summary>
    /// <summary>
    /// Waits (at most <see cref="IdleWaitLimit"/>) until the server has used under 4% of a core for half a second,
    /// so that a phase is measured in steady state and not charged with what the previous one left running in the
    /// background: tier-1 JIT of the code it warmed, a last batch of deferred writes. Returns the time waited.
    /// </summary>
    private async Task<TimeSpan> WaitForIdleServerAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (serverPid is not { } pid || ProcessStats.CpuTime(pid) is not { } previous)
        {
            return TimeSpan.Zero;
        }

        var window = TimeSpan.FromMilliseconds(500);
        while (Stopwatch.GetElapsedTime(started) < IdleWaitLimit)
        {
            await Task.Delay(window, ct);
            if (ProcessStats.CpuTime(pid) is not { } now)
            {
                break;
            }

            if (now - previous <= window * 0.04)
            {
                break;
            }

            previous = now;
        }

        return Stopwatch.GetElapsedTime(started);
    }

    private static readonly TimeSpan IdleWaitLimit = TimeSpan.FromSeconds(15);

    private async Task<PhaseRun> RunPhaseAsync(string phase, int count, int concurrency, Func<int, CancellationToken, Task> operation, CancellationToken ct)
    {
        var settled = await WaitForIdleServerAsync(ct);
        log($"  {target}: {phase} ({count:N0} operations, concurrency {concurrency}){(settled > TimeSpan.FromSeconds(1) ? $" after {settled.TotalSeconds:0.0} s for the server to go idle" : "")}");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(options.PhaseTimeout);
        var serverCpu = serverPid is { } pid ? ProcessStats.CpuTime(pid) : null;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Math.Min(concurrency, Math.Max(1, count))).Select(_ => Task.Run(async () =>
        {
            while (!limit.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    return;
                }

                try
                {
                    await operation(i, limit.Token);
                }
                catch (OperationCanceledException) when (limit.IsCancellationRequested)
                {
                    return;
                }
            }
        }, CancellationToken.None));
        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        ct.ThrowIfCancellationRequested();

        var serverCpuAfter = serverPid is { } p ? ProcessStats.CpuTime(p) : null;
        var timedOut = limit.IsCancellationRequested;
        if (timedOut)
        {
            log($"  {target}: {phase} stopped at its time limit ({options.PhaseTimeout.TotalSeconds:0} s)");
        }

        return new PhaseRun(
            seconds,
            timedOut,
            serverCpu is { } before && serverCpuAfter is { } after ? after - before : null,
            Process.GetCurrentProcess().TotalProcessorTime - clientCpu,
            serverPid is { } q ? ProcessStats.PeakRss(q) : null);
    }

    private PhaseResult Row(string phase, int n, LatencyRecorder latencies, PhaseRun run, Problems problems, int phaseRequests) => new()
    {
        Phase = phase,
        Target = target,
        N = n,
        Concurrency = phase.StartsWith("probe.", StringComparison.Ordinal) ? 1 : options.Concurrency,
        Requests = latencies.Count,
        Seconds = Math.Round(run.Seconds, 3),
        RequestsPerSecond = run.Seconds > 0 ? Math.Round(latencies.Count / run.Seconds, 1) : 0,
        Latency = latencies.Summarize(),
        Errors = problems.Errors,
        Lost = problems.Lost,
        Leaked = problems.Leaked,
        TimedOut = run.TimedOut,
        ServerCpuMsPerRequest = run.ServerCpu is { } cpu && phaseRequests > 0 ? Math.Round(cpu.TotalMilliseconds / phaseRequests, 3) : null,
        ClientCpuMsPerRequest = phaseRequests > 0 ? Math.Round(run.ClientCpu.TotalMilliseconds / phaseRequests, 3) : null,
        PeakRssMb = run.PeakRss is { } rss ? Math.Round(rss / 1024.0 / 1024.0, 1) : null,
        ProblemSamples = problems.Samples(),
    };

    /// <summary>
    /// Sends one request and reads the whole body. Returns status 0 when the request failed without an answer
    /// (connection error, 30 s timeout), after counting it as an error.
    /// </summary>
    private async Task<(int Status, byte[] Body)> SendAsync(
        HttpMethod method, string url, byte[]? body, LatencyRecorder? latencies, CancellationToken ct, Problems? problems = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = ScimMediaType;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            latencies?.Add(Stopwatch.GetTimestamp() - started);
            return ((int)response.StatusCode, bytes);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            if (problems is null)
            {
                throw new BenchException($"{target}: {method} {url} failed: {e.Message}");
            }

            problems.Error($"{method} {StripQuery(url)}: no answer ({e.GetType().Name}: {e.Message})");
            return (0, []);
        }
    }

    private static string FilterUrl(string userName) => "Users?filter=" + Uri.EscapeDataString(Workload.UserNameFilter(userName));

    private static string PageUrl(int startIndex) => string.Create(CultureInfo.InvariantCulture, $"Users?startIndex={startIndex}&count={PageSize}");

    private static int? ListTotal(byte[] body)
    {
        using var doc = TryParse(body);
        return doc is null ? null : Workload.Int(doc.RootElement, "totalResults");
    }

    private static JsonDocument? TryParse(byte[] body)
    {
        try
        {
            return body.Length == 0 ? null : JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static T[] Shuffled<T>(T[] items, int count, int seed)
    {
        if (items.Length == 0)
        {
            return [];
        }

        var random = new Random(seed);
        var copy = (T[])items.Clone();
        random.Shuffle(copy);
        return [.. Enumerable.Range(0, count).Select(i => copy[i % copy.Length])];
    }

    private static string StripQuery(string url) => url.Split('?')[0];

    private static string Shorten(byte[] body) => Shorten(Encoding.UTF8.GetString(body));

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}

/// <summary>The run cannot go on (a server did not start, the setup failed); the message says why.</summary>
internal sealed class BenchException(string message) : Exception(message);
