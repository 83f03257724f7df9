using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Catalytic.Admin.Data;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Teams;

namespace Catalytic.Admin.Cli;

/// <summary>
/// <c>admin …</c> commands in the app's own executable, for automation and headless deployments. They go
/// through the same services (and so the same rules) as the pages. Errors go to stderr with exit code 1.
/// </summary>
public static partial class AdminCli
{
    public const string AdminPasswordVariable = "CATALYTIC_ADMIN_PASSWORD";
    public const string ClientSecretVariable = "CATALYTIC_OIDC_CLIENT_SECRET";

    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "admin";

    public static void ConfigureLogging(ILoggingBuilder logging)
    {
        // stdout carries only the command's answer (url=…, token=…), so scripts can read it.
        logging.ClearProviders();
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(LogLevel.Warning);
    }

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("Catalytic.Admin command line") { BuildAdminCommand(services, output, error) };
        var invocation = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(invocation);
    }

    private static Command BuildAdminCommand(IServiceProvider services, TextWriter output, TextWriter error)
    {
        var team = new Option<string>("--team") { Description = "The team's URL name (slug)", Required = true };

        var teamName = new Option<string>("--team-name") { Description = "The team's display name", Required = true };
        var admin = new Option<string>("--admin") { Description = "User name of the first local admin (letters and digits)", Required = true };
        var setup = new Command("setup", $"Create a team and its local admin. The password comes from {AdminPasswordVariable}, else it is prompted for.")
        {
            team, teamName, admin,
        };
        setup.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var password = Environment.GetEnvironmentVariable(AdminPasswordVariable) ?? PromptPassword(error);
            var (created, errors) = await services.GetRequiredService<TeamService>().CreateAsync(
                new TeamSetup(parse.GetValue(team)!, parse.GetValue(teamName)!, parse.GetValue(admin)!, password ?? ""), onlyIfNoTeam: false, ct);
            if (created is null)
            {
                return Fail(error, errors.Values);
            }

            await output.WriteLineAsync($"team={created.Slug}");
            return 0;
        }));

        var issuer = new Option<string>("--issuer") { Description = "The OpenID Connect issuer URL", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "The client ID registered at the identity provider", Required = true };
        var claim = new Option<string>("--unique-id-claim") { Description = "The claim matched to user names", DefaultValueFactory = _ => SsoDefaults.UniqueIdClaim };
        var scopes = new Option<string>("--scopes") { Description = "Space-separated scopes", DefaultValueFactory = _ => SsoDefaults.Scopes };
        var ssoSet = new Command("set", $"Save and verify the team's OIDC connection. The client secret comes from {ClientSecretVariable} (required again when the issuer or client ID changes).")
        {
            team, issuer, clientId, claim, scopes,
        };
        ssoSet.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var teamId = await FindTeamAsync(services, parse.GetValue(team)!, ct);
            if (teamId is null)
            {
                return Fail(error, [$"No team with the URL name '{parse.GetValue(team)}'."]);
            }

            var errors = await services.GetRequiredService<SsoConnectionService>().SaveAsync(teamId.Value, new SsoConnectionInput
            {
                Issuer = parse.GetValue(issuer)!,
                ClientId = parse.GetValue(clientId)!,
                ClientSecret = Environment.GetEnvironmentVariable(ClientSecretVariable),
                Scopes = parse.GetValue(scopes)!,
                UniqueIdClaim = parse.GetValue(claim)!,
            }, ct);
            if (errors.Count > 0)
            {
                return Fail(error, errors.Values);
            }

            await output.WriteLineAsync("sso=verified");
            return 0;
        }));

        var enable = new Command("enable", "Turn SCIM on (needs verified SSO) and print the SCIM base URL and token.") { team };
        enable.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var slug = parse.GetValue(team)!;
            var teamId = await FindTeamAsync(services, slug, ct);
            if (teamId is null)
            {
                return Fail(error, [$"No team with the URL name '{slug}'."]);
            }

            var tokens = services.GetRequiredService<ScimTokenService>();
            var (newToken, enableError) = await tokens.EnableAsync(teamId.Value, ct);
            if (enableError is not null)
            {
                return Fail(error, [enableError]);
            }

            var token = newToken ?? await tokens.RevealCurrentAsync(teamId.Value, ct);
            await output.WriteLineAsync($"url={services.GetRequiredService<PublicUrls>().ScimBaseUrl(slug.ToLowerInvariant())}");
            await output.WriteLineAsync($"token={token}");
            return 0;
        }));

        var disable = new Command("disable", "Turn SCIM off: the team's tokens are refused from the next request on.") { team };
        disable.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var teamId = await FindTeamAsync(services, parse.GetValue(team)!, ct);
            if (teamId is null)
            {
                return Fail(error, [$"No team with the URL name '{parse.GetValue(team)}'."]);
            }

            await services.GetRequiredService<ScimTokenService>().DisableAsync(teamId.Value, ct);
            await output.WriteLineAsync("scim=disabled");
            return 0;
        }));

        var rotate = new Option<bool>("--rotate") { Description = "Issue a new token" };
        var grace = new Option<string>("--grace") { Description = "With --rotate: how long the previous token keeps working (0, 30m, 1h, 24h…)", DefaultValueFactory = _ => "0" };
        var token = new Command("token", "Print the team's current SCIM token, or issue a new one with --rotate.") { team, rotate, grace };
        token.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var teamId = await FindTeamAsync(services, parse.GetValue(team)!, ct);
            if (teamId is null)
            {
                return Fail(error, [$"No team with the URL name '{parse.GetValue(team)}'."]);
            }

            var tokens = services.GetRequiredService<ScimTokenService>();
            if (!parse.GetValue(rotate))
            {
                var current = await tokens.RevealCurrentAsync(teamId.Value, ct);
                if (current is null)
                {
                    return Fail(error, ["The team has no live SCIM token: run 'admin scim enable' or 'admin scim token --rotate'."]);
                }

                await output.WriteLineAsync($"token={current}");
                return 0;
            }

            if (!TryParseDuration(parse.GetValue(grace), out var graceSpan))
            {
                return Fail(error, [$"--grace '{parse.GetValue(grace)}' is not a duration: use 0, 90s, 30m, 1h, 24h or 7d."]);
            }

            var status = await tokens.GetStatusAsync(teamId.Value, ct);
            if (!status.SsoConfigured)
            {
                return Fail(error, ["SCIM needs a verified SSO connection first: run 'admin sso set'."]);
            }

            await output.WriteLineAsync($"token={await tokens.RotateAsync(teamId.Value, graceSpan, ct)}");
            return 0;
        }));

        var keysStatus = new Command("status", "Show the key-encryption certificate and whether every stored Data Protection key is encrypted with it.");
        keysStatus.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var status = await services.GetRequiredService<KeyRing>().GetStatusAsync(ct);
            await output.WriteLineAsync($"certificate={status.CertificatePath}");
            await output.WriteLineAsync($"thumbprint={status.Thumbprint}");
            await output.WriteLineAsync($"generated={(status.IsGenerated ? "true" : "false")}");
            foreach (var (path, thumbprint) in status.Previous)
            {
                await output.WriteLineAsync($"previous={thumbprint} {path}");
            }

            await output.WriteLineAsync($"keys={status.Keys}");
            await output.WriteLineAsync($"unencrypted={status.Unencrypted}");
            await output.WriteLineAsync($"on-previous-certificate={status.OnPreviousCertificates}");
            return 0;
        }));

        var keysRotate = new Command("rotate", $"Write a new Data Protection key (the default in {KeyRing.NewKeyActivationDelay.TotalDays:0} days) and re-encrypt every stored key with the current certificate.");
        keysRotate.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var rotation = await services.GetRequiredService<KeyRing>().RotateAsync(ct);
            await output.WriteLineAsync($"key={rotation.NewKeyId}");
            await output.WriteLineAsync($"activates={rotation.ActivatesAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
            await output.WriteLineAsync($"reencrypted={rotation.Reencrypted}");
            return 0;
        }));

        return new Command("admin", "Administer teams, SSO, SCIM and the key ring")
        {
            setup,
            new Command("sso", "Single sign-on") { ssoSet },
            new Command("scim", "SCIM provisioning") { enable, disable, token },
            new Command("keys", "The Data Protection key ring and its key-encryption certificate") { keysStatus, keysRotate },
            BuildUserCommand(services, output, error),
        };
    }

    public static bool TryParseDuration(string? value, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var match = DurationPattern().Match(value.Trim());
        if (match.Success)
        {
            var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            duration = match.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                "d" => TimeSpan.FromDays(amount),
                _ => TimeSpan.FromSeconds(amount),
            };
            return duration <= TimeSpan.FromDays(30);
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero && duration <= TimeSpan.FromDays(30);
    }

    private static async Task<int> Guarded(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Microsoft.EntityFrameworkCore.DbUpdateException or System.Security.Cryptography.CryptographicException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    private static int Fail(TextWriter error, IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            error.WriteLine($"error: {message}");
        }

        return 1;
    }

    private static async Task<Guid?> FindTeamAsync(IServiceProvider services, string slug, CancellationToken ct) =>
        (await services.GetRequiredService<TeamService>().FindBySlugAsync(slug, ct))?.Id;

    private static string? PromptPassword(TextWriter error)
    {
        error.Write("Password for the admin: ");
        if (Console.IsInputRedirected)
        {
            return Console.ReadLine();
        }

        var password = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                error.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([smhd]?)$")]
    private static partial Regex DurationPattern();
}
