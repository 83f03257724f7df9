using System.Security.Cryptography;

namespace Catalytic.Admin.Teams;

/// <summary>
/// The one-time code that guards /setup while no team exists. It lives only in memory and in the
/// start-up log line, so there is no default password to leak.
/// </summary>
public sealed class FirstRunSetup
{
    private readonly byte[] code = RandomNumberGenerator.GetBytes(16);
    private int failedAttempts;

    public string Code => Convert.ToHexStringLower(code);

    public bool Verify(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length != code.Length * 2)
        {
            Interlocked.Increment(ref failedAttempts);
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(presented);
        }
        catch (FormatException)
        {
            Interlocked.Increment(ref failedAttempts);
            return false;
        }

        var ok = CryptographicOperations.FixedTimeEquals(bytes, code);
        if (!ok)
        {
            Interlocked.Increment(ref failedAttempts);
        }

        return ok;
    }

    public int FailedAttempts => Volatile.Read(ref failedAttempts);

    /// <summary>On an empty database, logs the one-time setup link.</summary>
    public async Task AnnounceIfNeededAsync(IServiceProvider services)
    {
        if (await services.GetRequiredService<TeamService>().AnyTeamAsync())
        {
            return;
        }

        var url = services.GetRequiredService<PublicUrls>().BaseUrl() + "/setup?code=" + Code;
        services.GetRequiredService<ILogger<FirstRunSetup>>().LogWarning(
            "No team exists yet. Open {SetupUrl} to create the first team and its admin (the link works once, until a team exists).", url);
    }
}
