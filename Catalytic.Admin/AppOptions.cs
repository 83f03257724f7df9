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
}

public sealed class ScimOptions
{
    /// <summary>Request bodies above this size get 413 with a SCIM error.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest page a list request returns, whatever <c>count</c> asks.</summary>
    public int MaxPageSize { get; set; } = 1000;
}

public sealed class ActivityOptions
{
    /// <summary>Provisioning activity older than this is pruned in the background.</summary>
    public int RetentionDays { get; set; } = 90;
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
