using System.CommandLine;
using Catalytic.Admin.Sso;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Cli;

/// <summary>
/// <c>admin user …</c>: the operator's way back in when nobody can sign in (a deactivated account, a locked-out or
/// forgotten break-glass password). Same directory, same rules as the pages.
/// </summary>
public static partial class AdminCli
{
    private static Command BuildUserCommand(IServiceProvider services, TextWriter output, TextWriter error)
    {
        var team = new Option<string>("--team") { Description = "The team's URL name (slug)", Required = true };
        var user = new Option<string>("--user") { Description = "The account's userName", Required = true };

        var reactivate = new Command("reactivate", "Reactivate an account and lift any password lockout on its name.") { team, user };
        reactivate.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var teamId = await FindTeamAsync(services, parse.GetValue(team)!, ct);
            if (teamId is null)
            {
                return Fail(error, [$"No team with the URL name '{parse.GetValue(team)}'."]);
            }

            var (done, refused) = await services.GetRequiredService<UserDirectory>().ReactivateAsync(teamId.Value, parse.GetValue(user)!, ct);
            if (done is null)
            {
                return Fail(error, [refused!.Detail]);
            }

            await services.GetRequiredService<PasswordLockouts>().ClearAsync(teamId.Value, done.UserName, ct);
            await output.WriteLineAsync($"user={done.UserName}");
            await output.WriteLineAsync("active=true");
            return 0;
        }));

        var resetPassword = new Command(
            "reset-password",
            $"Set a new password for a local (break-glass) account, reactivate it and lift any lockout. The password comes from {AdminPasswordVariable}, else it is prompted for.")
        {
            team, user,
        };
        resetPassword.SetAction((parse, ct) => Guarded(error, async () =>
        {
            var teamId = await FindTeamAsync(services, parse.GetValue(team)!, ct);
            if (teamId is null)
            {
                return Fail(error, [$"No team with the URL name '{parse.GetValue(team)}'."]);
            }

            var password = Environment.GetEnvironmentVariable(AdminPasswordVariable) ?? PromptPassword(error);
            var (done, refused) = await services.GetRequiredService<UserDirectory>().ResetLocalPasswordAsync(teamId.Value, parse.GetValue(user)!, password ?? "", ct);
            if (done is null)
            {
                return Fail(error, [refused!.Detail]);
            }

            // Whoever knew the old password may hold a session: a new password ends them all.
            await services.GetRequiredService<PasswordLockouts>().ClearAsync(teamId.Value, done.UserName, ct);
            var ended = await services.GetRequiredService<UserSessions>().RevokeAllAsync(teamId.Value, done.Id, ct);
            await output.WriteLineAsync($"user={done.UserName}");
            await output.WriteLineAsync("password=reset");
            await output.WriteLineAsync($"sessions-ended={ended}");
            await output.WriteLineAsync("active=true");
            return 0;
        }));

        return new Command("user", "Recover accounts") { reactivate, resetPassword };
    }
}
