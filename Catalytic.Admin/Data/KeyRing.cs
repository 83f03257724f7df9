using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Data;

/// <summary>
/// The key-encryption certificates (KEKs) of the Data Protection key ring: the current one, which encrypts every key
/// written to the database, and previous ones, kept only to decrypt. Loaded when the services are registered, because
/// Data Protection takes its decryption certificates then. On first run without a configured certificate one is
/// generated in memory; <see cref="KeyRing.PrepareAsync"/> writes it to the data folder once it has checked that the
/// database holds no key encrypted with another (a lost file must be restored, not replaced).
/// </summary>
public sealed class KeyEncryptionCertificates
{
    public const string GeneratedFileName = "catalytic-admin-kek.pfx";
    private const string Configured = $"{AppOptions.Section}:KeyRing:CertificatePath";
    private const string ConfiguredPrevious = $"{AppOptions.Section}:KeyRing:PreviousCertificatePaths";

    private byte[]? unsavedPfx;

    private KeyEncryptionCertificates(X509Certificate2 current, string currentPath, bool isGenerated, byte[]? unsavedPfx, IReadOnlyList<(string, X509Certificate2)> previous)
    {
        Current = current;
        CurrentPath = currentPath;
        IsGenerated = isGenerated;
        this.unsavedPfx = unsavedPfx;
        Previous = previous;
    }

    /// <summary>Encrypts every key written from now on.</summary>
    public X509Certificate2 Current { get; }

    public string CurrentPath { get; }

    /// <summary>The app's own certificate in the data folder, rather than one given by configuration.</summary>
    public bool IsGenerated { get; }

    public IReadOnlyList<(string Path, X509Certificate2 Certificate)> Previous { get; }

    /// <summary>False while a generated certificate exists only in memory: nothing may be encrypted with it yet.</summary>
    public bool IsSaved => Volatile.Read(ref unsavedPfx) is null;

    public IEnumerable<X509Certificate2> All => Previous.Select(p => p.Certificate).Prepend(Current);

    /// <summary>
    /// The data folder when no certificate is configured: beside the SQLite file, else <c>data/</c> under the
    /// working folder (PostgreSQL, in-memory SQLite).
    /// </summary>
    public static string DefaultFolder(string? sqliteFile) =>
        string.IsNullOrEmpty(sqliteFile) ? Path.GetFullPath("data") : Path.GetDirectoryName(Path.GetFullPath(sqliteFile))!;

    /// <summary>Throws with a message an operator can act on when a configured file is missing or unreadable.</summary>
    public static KeyEncryptionCertificates Load(KeyRingOptions options, string dataFolder)
    {
        var password = string.IsNullOrEmpty(options.CertificatePassword) ? null : options.CertificatePassword;
        var previous = options.PreviousCertificatePaths
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => Path.GetFullPath(p))
            .Select(p => (p, LoadFile(p, ConfiguredPrevious, password, orWithoutPassword: true)))
            .ToList();
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            var path = Path.GetFullPath(options.CertificatePath);
            return new(LoadFile(path, Configured, password, orWithoutPassword: false), path, isGenerated: false, null, previous);
        }

        var generatedPath = Path.Combine(dataFolder, GeneratedFileName);
        if (File.Exists(generatedPath))
        {
            return new(LoadFile(generatedPath, "the data folder", password, orWithoutPassword: false), generatedPath, isGenerated: true, null, previous);
        }

        var pfx = Generate(password);
        return new(LoadPfx(pfx, password), generatedPath, isGenerated: true, pfx, previous);
    }

    /// <summary>Writes the generated certificate, readable by its owner only.</summary>
    internal void SaveGenerated()
    {
        var pfx = Volatile.Read(ref unsavedPfx);
        if (pfx is null)
        {
            return;
        }

        OwnerOnlyFiles.CreateFolder(Path.GetDirectoryName(CurrentPath)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var file = new FileStream(CurrentPath, options);
            file.Write(pfx);
            file.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(CurrentPath))
        {
            throw new InvalidOperationException(
                $"The key-encryption certificate {CurrentPath} was created by another process while this one started (two instances on first run?). Start again: it will be used.");
        }

        Volatile.Write(ref unsavedPfx, null);
    }

    private static X509Certificate2 LoadFile(string path, string source, string? password, bool orWithoutPassword)
    {
        byte[] pfx;
        try
        {
            pfx = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"The key-encryption certificate {path} (from {source}) cannot be read: {e.Message} It decrypts the Data Protection keys in the database: restore it from the backup, or fix the setting. No new one is generated in its place.", e);
        }

        try
        {
            return LoadPfx(pfx, password);
        }
        catch (CryptographicException) when (orWithoutPassword && password is not null)
        {
            return LoadFile(path, source, null, orWithoutPassword: false);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException(
                $"The key-encryption certificate {path} (from {source}) is not a PFX file this password opens ({AppOptions.Section}:KeyRing:CertificatePassword), or has no RSA private key.", e);
        }
    }

    private static X509Certificate2 LoadPfx(byte[] pfx, string? password)
    {
        // Ephemeral: the private key stays in this process, not in a key store of the machine (macOS has no such mode).
        var flags = OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
        var certificate = X509CertificateLoader.LoadPkcs12(pfx, password, flags);
        using var key = certificate.GetRSAPrivateKey();
        if (key is null)
        {
            certificate.Dispose();
            throw new CryptographicException("The certificate has no RSA private key.");
        }

        return certificate;
    }

    private static byte[] Generate(string? password)
    {
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=Catalytic.Admin key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        var now = DateTimeOffset.UtcNow;
        // The validity is not checked when decrypting; a long one only avoids a date that looks like an expiry.
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(100));
        return certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }
}

public sealed record KeyRingStatus(
    string CertificatePath,
    string Thumbprint,
    bool IsGenerated,
    IReadOnlyList<(string Path, string Thumbprint)> Previous,
    int Keys,
    int Unencrypted,
    int OnPreviousCertificates);

public sealed record KeyRingRotation(Guid NewKeyId, DateTimeOffset ActivatesAt, int Reencrypted);

/// <summary>
/// The Data Protection key ring at rest: start-up checks and the migration of keys stored unencrypted by earlier
/// versions, status, and rotation (<c>admin keys …</c>). The key XML is rewritten in place with the same key id, so
/// everything protected with a key still decrypts.
/// </summary>
public sealed class KeyRing(
    KeyEncryptionCertificates certificates,
    IDbContextFactory<AdminDbContext> dbFactory,
    IServiceProvider services,
    ILoggerFactory loggers,
    TimeProvider clock)
{
    // How early a new key is written before it becomes the default: every instance reads the key ring again at least
    // once a day, and one that meets a key id it does not know refuses the payload (the framework's own margin).
    public static readonly TimeSpan NewKeyActivationDelay = TimeSpan.FromDays(2);

    private const string DataProtectionNamespace = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = XName.Get("requiresEncryption", DataProtectionNamespace);
    private static readonly XName EncryptedSecret = XName.Get("encryptedSecret", DataProtectionNamespace);
    private static readonly XName DecryptorType = "decryptorType";
    private static readonly XName X509CertificateElement = XName.Get("X509Certificate", "http://www.w3.org/2000/09/xmldsig#");

    private readonly ILogger logger = loggers.CreateLogger<KeyRing>();

    /// <summary>
    /// Before anything uses Data Protection: refuses to start on keys no configured certificate decrypts, saves a
    /// generated certificate, and encrypts keys that earlier versions stored unencrypted.
    /// </summary>
    public async Task PrepareAsync(CancellationToken ct = default)
    {
        var keys = await ReadKeysAsync(ct);
        var encryptedWith = keys.SelectMany(k => EncryptedWith(k.Xml)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!certificates.IsSaved && encryptedWith.Count > 0)
        {
            throw new InvalidOperationException(
                $"The Data Protection keys in the database are encrypted with a key-encryption certificate, but its file {certificates.CurrentPath} is missing. " +
                $"Restore it (and its password) from the backup taken with the database, or set {AppOptions.Section}:KeyRing:CertificatePath to it. " +
                "Without it no stored secret can be decrypted; a new certificate is not generated in its place.");
        }

        var known = certificates.All.Select(c => c.Thumbprint).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = encryptedWith.Where(t => !known.Contains(t)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Data Protection keys in the database are encrypted with key-encryption certificate(s) {string.Join(", ", missing)}, which are not configured " +
                $"(current: {certificates.Current.Thumbprint} from {certificates.CurrentPath}). Restore that certificate from backup and give it in " +
                $"{AppOptions.Section}:KeyRing:CertificatePath or {AppOptions.Section}:KeyRing:PreviousCertificatePaths.");
        }

        if (!certificates.IsSaved)
        {
            certificates.SaveGenerated();
            logger.LogWarning(
                "Generated a key-encryption certificate (thumbprint {Thumbprint}) at {Path}. It encrypts the Data Protection keys in the database: back it up together with the database; without it no stored secret can be restored.",
                certificates.Current.Thumbprint, certificates.CurrentPath);
        }
        else
        {
            logger.LogInformation(
                "Data Protection keys are encrypted with the key-encryption certificate {Path} (thumbprint {Thumbprint}); back it up (and its password) together with the database.",
                certificates.CurrentPath, certificates.Current.Thumbprint);
        }

        var encrypted = await ReencryptAsync(allOnCurrent: false, ct);
        if (encrypted > 0)
        {
            logger.LogWarning(
                "Encrypted {Count} Data Protection key(s) that an earlier version stored unencrypted. Backups taken before now still hold them in clear: delete them, or rotate the keys and secrets.",
                encrypted);
        }
    }

    public async Task<KeyRingStatus> GetStatusAsync(CancellationToken ct = default)
    {
        var keys = await ReadKeysAsync(ct);
        var current = certificates.Current.Thumbprint;
        return new KeyRingStatus(
            certificates.CurrentPath,
            current,
            certificates.IsGenerated,
            [.. certificates.Previous.Select(p => (p.Path, p.Certificate.Thumbprint))],
            keys.Count,
            keys.Count(k => IsUnencrypted(k.Xml)),
            keys.Count(k => EncryptedWith(k.Xml).Any(t => !t.Equals(current, StringComparison.OrdinalIgnoreCase))));
    }

    /// <summary>
    /// Writes a new Data Protection key (the default from <see cref="NewKeyActivationDelay"/> on) and re-encrypts every
    /// stored key with the current certificate, so that previous certificates can then be dropped.
    /// </summary>
    public async Task<KeyRingRotation> RotateAsync(CancellationToken ct = default)
    {
        var activation = clock.GetUtcNow() + NewKeyActivationDelay;
        var lifetime = services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.NewKeyLifetime;
        var key = services.GetRequiredService<IKeyManager>().CreateNewKey(activation, activation + lifetime);
        var reencrypted = await ReencryptAsync(allOnCurrent: true, ct);
        logger.LogInformation(
            "Key ring rotated: new Data Protection key {KeyId} (default from {Activation:u}); {Count} key(s) re-encrypted with the certificate {Thumbprint}.",
            key.KeyId, activation, reencrypted, certificates.Current.Thumbprint);
        return new KeyRingRotation(key.KeyId, activation, reencrypted);
    }

    /// <summary>Encrypts keys stored unencrypted and, with <paramref name="allOnCurrent"/>, those on a previous certificate.</summary>
    private async Task<int> ReencryptAsync(bool allOnCurrent, CancellationToken ct)
    {
        var current = certificates.Current.Thumbprint;
        var encryptor = new CertificateXmlEncryptor(certificates.Current, loggers);
        var decryptor = new EncryptedXmlDecryptor(services);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changed = 0;
        foreach (var row in await db.DataProtectionKeys.ToListAsync(ct))
        {
            var xml = XElement.Parse(row.Xml ?? "");
            var onOther = allOnCurrent
                ? xml.Descendants(EncryptedSecret).Where(s => !CertificatesOf(s).Contains(current, StringComparer.OrdinalIgnoreCase)).ToList()
                : [];
            if (onOther.Count == 0 && !IsUnencrypted(xml))
            {
                continue;
            }

            foreach (var secret in onOther)
            {
                secret.ReplaceWith(decryptor.Decrypt(secret.Elements().Single()));
            }

            foreach (var plain in xml.Descendants().Where(e => Requires(e) && !e.Ancestors().Any(Requires)).ToList())
            {
                var info = encryptor.Encrypt(new XElement(plain));
                plain.ReplaceWith(new XElement(
                    EncryptedSecret,
                    new XAttribute(DecryptorType, info.DecryptorType.AssemblyQualifiedName!),
                    info.EncryptedElement));
            }

            row.Xml = xml.ToString(SaveOptions.DisableFormatting);
            changed++;
        }

        await db.SaveChangesAsync(ct);
        return changed;
    }

    private async Task<List<(int Id, XElement Xml)>> ReadKeysAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.DataProtectionKeys.AsNoTracking().Select(k => new { k.Id, k.Xml }).ToListAsync(ct);
        return [.. rows.Select(r => (r.Id, XElement.Parse(r.Xml ?? "")))];
    }

    private static bool Requires(XElement element) => (bool?)element.Attribute(RequiresEncryption) == true;

    /// <summary>A secret still in clear: encrypted elements carry no such attribute outside their ciphertext.</summary>
    private static bool IsUnencrypted(XElement key) => key.DescendantsAndSelf().Any(Requires);

    /// <summary>Thumbprints of the certificates the key's secrets are encrypted to ("unknown" when none is named).</summary>
    private static IEnumerable<string> EncryptedWith(XElement key) => key.Descendants(EncryptedSecret).SelectMany(CertificatesOf);

    private static IEnumerable<string> CertificatesOf(XElement encryptedSecret)
    {
        var named = encryptedSecret.Descendants(X509CertificateElement).ToList();
        if (named.Count == 0)
        {
            return ["unknown"];
        }

        return named.Select(e =>
        {
            using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(e.Value.Trim()));
            return certificate.Thumbprint;
        }).ToList();
    }
}

/// <summary>Wires the key ring into Data Protection; the certificate encrypts only once it is safely on disk.</summary>
public static class KeyRingSetup
{
    /// <param name="sqliteFile">The database file, beside which the generated certificate goes; null for PostgreSQL.</param>
    public static IDataProtectionBuilder ProtectKeysWithKeyRing(this IDataProtectionBuilder builder, IConfiguration configuration, string? sqliteFile)
    {
        var options = configuration.GetSection(AppOptions.Section).Get<AppOptions>()?.KeyRing ?? new KeyRingOptions();
        var certificates = KeyEncryptionCertificates.Load(options, KeyEncryptionCertificates.DefaultFolder(sqliteFile));
        builder.Services.AddSingleton(certificates);
        builder.Services.AddSingleton<KeyRing>();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<ILoggerFactory>((o, loggers) =>
            o.XmlEncryptor = new SavedCertificateEncryptor(certificates, new CertificateXmlEncryptor(certificates.Current, loggers)));
        return builder.UnprotectKeysWithAnyCertificate([.. certificates.All]);
    }

    private sealed class SavedCertificateEncryptor(KeyEncryptionCertificates certificates, IXmlEncryptor inner) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
            certificates.IsSaved
                ? inner.Encrypt(plaintextElement)
                : throw new InvalidOperationException("The generated key-encryption certificate is not saved yet: KeyRing.PrepareAsync must run at start-up before Data Protection writes a key.");
    }
}

/// <summary>Folders and files that only the app's own account may open (no-op on Windows, where ACLs apply).</summary>
internal static class OwnerOnlyFiles
{
    public static void CreateFolder(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
