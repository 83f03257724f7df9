using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Catalytic.Admin.Bench.Ceiling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Catalytic.Admin.Bench;

/// <summary>A SCIM server under test, running as its own process on a loopback port.</summary>
internal sealed class ServerUnderTest(string name, ChildProcess process, Uri scimBase, string token, string folder) : IAsyncDisposable
{
    public string Name => name;

    public ChildProcess Process => process;

    public Uri ScimBase => scimBase;

    public string Token => token;

    /// <summary>The server's own temp folder (its database file lives there).</summary>
    public string Folder => folder;

    public Task StopAsync() => process.StopAsync(TimeSpan.FromSeconds(30));

    public ValueTask DisposeAsync() => process.DisposeAsync();
}

/// <summary>Starts the servers the bench compares: the published app and the ceiling.</summary>
internal static class Servers
{
    public const string TeamSlug = "bench";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(2);

    /// <summary><c>dotnet publish</c> of the app in Release into <paramref name="output"/>.</summary>
    public static async Task<string> PublishAppAsync(string repositoryRoot, string output, Action<string> log, CancellationToken ct)
    {
        var project = Path.Combine(repositoryRoot, "Catalytic.Admin", "Catalytic.Admin.csproj");
        log($"Publishing the app in Release ({project})…");
        var (exit, stdout, stderr) = await ChildProcess.RunAsync(
            DotnetHost(), ["publish", project, "-c", "Release", "-o", output, "--nologo"], QuietDotnet(), TimeSpan.FromMinutes(10), ct);
        if (exit != 0)
        {
            throw new BenchException($"dotnet publish failed (exit {exit}):{Environment.NewLine}{stdout}{Environment.NewLine}{stderr}");
        }

        return output;
    }

    /// <summary>
    /// How the published app runs, for the report: ReadyToRun or not (the assembly's CLI header carries a native
    /// header only when precompiled) and the JIT and GC settings from its runtimeconfig.json.
    /// </summary>
    public static string DescribeApp(string appFolder)
    {
        var parts = new List<string>();
        var dll = Path.Combine(appFolder, "Catalytic.Admin.dll");
        if (File.Exists(dll))
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(dll));
            parts.Add(pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0 ? "ReadyToRun" : "IL only (JIT at run time)");
        }

        var config = Path.Combine(appFolder, "Catalytic.Admin.runtimeconfig.json");
        if (File.Exists(config))
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
            if (json.RootElement.TryGetProperty("runtimeOptions", out var options)
                && options.TryGetProperty("configProperties", out var properties))
            {
                parts.AddRange(properties.EnumerateObject()
                    .Where(p => p.Name.StartsWith("System.Runtime.Tiered", StringComparison.Ordinal) || p.Name.StartsWith("System.GC.", StringComparison.Ordinal))
                    .Select(p => $"{p.Name}={p.Value.GetRawText()}"));
            }
        }

        return string.Join("; ", parts);
    }

    /// <summary>
    /// A fresh database in <paramref name="folder"/>; team, SSO and SCIM token through the app's own admin CLI
    /// (the same services as the pages); then the app itself on a free loopback port.
    /// </summary>
    public static async Task<ServerUnderTest> StartAppAsync(string appFolder, string folder, Uri issuer, string synchronous, Action<string> log, CancellationToken ct)
    {
        var dll = Path.Combine(appFolder, "Catalytic.Admin.dll");
        if (!File.Exists(dll))
        {
            throw new BenchException($"No Catalytic.Admin.dll in {appFolder}: publish the app there or drop --app.");
        }

        Directory.CreateDirectory(folder);
        var port = FreePort();
        var environment = QuietDotnet();
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["DOTNET_ENVIRONMENT"] = "Production";
        environment["Catalytic__Database__Provider"] = "Sqlite";
        environment["Catalytic__Database__ConnectionString"] = $"Data Source={Path.Combine(folder, "catalytic-admin.db")}";
        // Catalytic:Database:Synchronous binds to the app's SqliteSynchronous enum (Full, Normal).
        environment["Catalytic__Database__Synchronous"] = synchronous == SyncSettings.Full ? "Full" : "Normal";
        environment["Catalytic__PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        // One token at concurrency 16 makes thousands of requests a second, far beyond an IdP: the per-token limit is
        // off so the benchmark measures the endpoint, not the throttle.
        environment["Catalytic__Scim__RateLimit__PermitsPerSecond"] = "0";
        // The bench's OIDC discovery document is served on 127.0.0.1, which a production app refuses by default.
        environment["Catalytic__Sso__AllowPrivateNetworkIssuers"] = "true";
        environment["Urls"] = $"http://127.0.0.1:{port}";
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        environment["CATALYTIC_ADMIN_PASSWORD"] = Secret();
        environment["CATALYTIC_OIDC_CLIENT_SECRET"] = Secret();

        log("  app: admin setup, sso set, scim enable (the app's CLI)");
        await CliAsync(dll, ["admin", "setup", "--team", TeamSlug, "--team-name", "Benchmark", "--admin", "benchadmin"], environment, ct);
        await CliAsync(dll, ["admin", "sso", "set", "--team", TeamSlug, "--issuer", issuer.ToString().TrimEnd('/'), "--client-id", "catalytic-bench"], environment, ct);
        var enabled = await CliAsync(dll, ["admin", "scim", "enable", "--team", TeamSlug], environment, ct);
        var url = Value(enabled, "url") ?? throw new BenchException($"'admin scim enable' printed no url=:{Environment.NewLine}{enabled}");
        var token = Value(enabled, "token") ?? throw new BenchException("'admin scim enable' printed no token=.");

        log($"  app: starting on 127.0.0.1:{port}");
        var process = ChildProcess.Start("app", DotnetHost(), [dll], environment, folder);
        var server = new ServerUnderTest("app", process, new Uri(url), token, folder);
        await WaitUntilReadyAsync(server, ct);
        return server;
    }

    /// <summary>The ceiling: this same program in <c>ceiling</c> mode, on a fresh database of its own.</summary>
    public static async Task<ServerUnderTest> StartCeilingAsync(string folder, string synchronous, Action<string> log, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var port = FreePort();
        var token = "scim_" + Secret();
        var environment = QuietDotnet();
        environment[CeilingServer.TokenVariable] = token;
        // The same garbage collector as the app (Catalytic.Admin.csproj): workstation, non-concurrent.
        environment["DOTNET_gcServer"] = "0";
        environment["DOTNET_gcConcurrent"] = "0";
        var (file, prefix) = Self();
        string[] args =
        [
            .. prefix, "ceiling", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--db", Path.Combine(folder, "ceiling.db"), "--team", TeamSlug, "--synchronous", synchronous,
            "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        log($"  ceiling: starting on 127.0.0.1:{port}");
        var process = ChildProcess.Start("ceiling", file, args, environment, folder);
        var server = new ServerUnderTest("ceiling", process, new Uri($"http://127.0.0.1:{port}/scim/v2/{TeamSlug}"), token, folder);
        await WaitUntilReadyAsync(server, ct);
        return server;
    }

    /// <summary>The folder holding Catalytic.Admin.sln, searched upwards from the bench binary and the current folder.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Catalytic.Admin.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    private static async Task WaitUntilReadyAsync(ServerUnderTest server, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", server.Token);
        var deadline = DateTime.UtcNow + StartTimeout;
        var url = server.ScimBase + "/ServiceProviderConfig";
        string last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (server.Process.HasExited)
            {
                throw new BenchException($"The {server.Name} exited with code {server.Process.ExitCode} before it answered. Its last output:{Environment.NewLine}{server.Process.Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(url, ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = e.Message;
            }

            await Task.Delay(200, ct);
        }

        await server.StopAsync();
        throw new BenchException($"The {server.Name} did not answer {url} within {StartTimeout.TotalSeconds:0} s (last: {last}). Its last output:{Environment.NewLine}{server.Process.Tail()}");
    }

    private static async Task<string> CliAsync(string dll, string[] args, Dictionary<string, string?> environment, CancellationToken ct)
    {
        var (exit, stdout, stderr) = await ChildProcess.RunAsync(DotnetHost(), [dll, .. args], environment, CliTimeout, ct);
        if (exit != 0)
        {
            throw new BenchException($"'{string.Join(' ', args.Take(3))}' failed (exit {exit}):{Environment.NewLine}{stderr}{Environment.NewLine}{stdout}");
        }

        return stdout;
    }

    private static string? Value(string output, string key) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    private static Dictionary<string, string?> QuietDotnet() => new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_gcServer"] = null,
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Secret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', 'x').Replace('/', 'y').TrimEnd('=');

    /// <summary>The dotnet host: the one running us if we run under it, else the SDK's, else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            return path;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }

    /// <summary>How to start this program again: its apphost, or the dotnet host with our dll.</summary>
    private static (string File, string[] Prefix) Self()
    {
        var path = Environment.ProcessPath ?? DotnetHost();
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? (path, [typeof(Servers).Assembly.Location])
            : (path, []);
    }
}

/// <summary>
/// A stand-in identity provider for <c>admin sso set</c>: only the OIDC discovery document, on loopback, so
/// that the app's issuer verification passes without a real provider. Nobody signs in during the bench.
/// </summary>
internal sealed class DiscoveryServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private DiscoveryServer(WebApplication app, Uri issuer)
    {
        this.app = app;
        Issuer = issuer;
    }

    public Uri Issuer { get; }

    public static async Task<DiscoveryServer> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        string? issuer = null;
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(
            JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["issuer"] = issuer!,
                ["authorization_endpoint"] = issuer + "/authorize",
                ["token_endpoint"] = issuer + "/token",
                ["jwks_uri"] = issuer + "/jwks",
                ["response_types_supported"] = new[] { "code" },
                ["subject_types_supported"] = new[] { "public" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }),
            "application/json"));
        await app.StartAsync(ct);
        issuer = app.Urls.First().TrimEnd('/');
        return new DiscoveryServer(app, new Uri(issuer));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
