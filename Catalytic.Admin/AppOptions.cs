namespace Catalytic.Admin;

/// <summary>The <c>Catalytic</c> section of appsettings.json.</summary>
public sealed class AppOptions
{
    public const string Section = "Catalytic";

    /// <summary>
    /// The address people and IdPs reach the app at, e.g. https://admin.example.com (behind a reverse proxy,
    /// the proxy's address). Empty: taken from the incoming request.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    public DatabaseOptions Database { get; set; } = new();

    public ScimOptions Scim { get; set; } = new();

    public ActivityOptions Activity { get; set; } = new();

    public KeyRingOptions KeyRing { get; set; } = new();
}

public sealed class DatabaseOptions
{
    /// <summary>Sqlite (default, one file) or Postgres.</summary>
    public string Provider { get; set; } = "Sqlite";

    public string ConnectionString { get; set; } = "Data Source=data/catalytic-admin.db";

    /// <summary>
    /// SQLite only: Full (default) flushes every commit before the IdP is answered, so an acknowledged write
    /// survives a power loss; Normal survives only the process crashing. PostgreSQL is durable on commit
    /// (its <c>synchronous_commit</c> default).
    /// </summary>
    public Data.SqliteSynchronous Synchronous { get; set; } = Data.SqliteSynchronous.Full;
}

public sealed class ScimOptions
{
    /// <summary>Request bodies above this size get 413 with a SCIM error.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest page a list request returns, whatever <c>count</c> asks.</summary>
    public int MaxPageSize { get; set; } = 1000;

    public ScimRateLimitOptions RateLimit { get; set; } = new();

    public ScimFailedAuthLimitOptions FailedAuthLimit { get; set; } = new();
}

public sealed class ActivityOptions
{
    /// <summary>Provisioning activity older than this is pruned in the background.</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>Entries waiting to be saved; beyond this new ones are dropped (counted and reported), never waited for.</summary>
    public int MaxQueuedEvents { get; set; } = 100_000;
}

/// <summary>Requests per SCIM token, far above an IdP's pace (Entra ID: 25 per second per tenant). 0 turns it off.</summary>
public sealed class ScimRateLimitOptions
{
    /// <summary>The sustained rate; may be below 1 (0.5 = one request every 2 s).</summary>
    public double PermitsPerSecond { get; set; } = 200;

    public int Burst { get; set; } = 400;
}

/// <summary>Refused SCIM authentications per source address and minute before the source gets 429. 0 turns it off.</summary>
public sealed class ScimFailedAuthLimitOptions
{
    public int PerMinute { get; set; } = 30;
}

/// <summary>The key-encryption certificate (KEK) that encrypts the Data Protection keys stored in the database.</summary>
public sealed class KeyRingOptions
{
    /// <summary>PFX file of the current KEK. Empty: the one generated in the data folder on first run.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>Password of the PFX (from the environment, never in the repository); previous KEKs are tried with it, then without.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>PFX files of earlier KEKs, kept only to decrypt keys not yet re-encrypted (<c>admin keys rotate</c>).</summary>
    public List<string> PreviousCertificatePaths { get; set; } = [];
}
