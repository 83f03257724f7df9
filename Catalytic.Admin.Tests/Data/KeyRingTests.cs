using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Catalytic.Admin.Cli;
using Catalytic.Admin.Data;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Catalytic.Admin.Tests.Data;

/// <summary>
/// The database alone reveals no secret: Data Protection keys are stored encrypted with a key-encryption certificate
/// kept outside it, old unencrypted keys are migrated, and the certificate can be rotated. Each test owns a folder
/// (database, certificates) that several app instances open one after the other.
/// </summary>
public sealed class KeyRingTests : IDisposable
{
    private const string CertificatePath = "Catalytic:KeyRing:CertificatePath";
    private const string CertificatePassword = "Catalytic:KeyRing:CertificatePassword";
    private const string PreviousCertificate = "Catalytic:KeyRing:PreviousCertificatePaths:0";
    private const string ScimTokenPurpose = "Catalytic.Admin.ScimToken.v1";

    private readonly string folder = Directory.CreateTempSubdirectory("catalytic-keyring-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    private string DatabaseIn(string subfolder) => Path.Combine(folder, subfolder, "admin.db");

    private static string GeneratedCertificateBeside(string database) => Path.Combine(Path.GetDirectoryName(database)!, KeyEncryptionCertificates.GeneratedFileName);

    private static AppFactory App(string database) =>
        new AppFactory().WithSetting("Catalytic:Database:ConnectionString", $"Data Source={database}");

    [Fact]
    public async Task StoredKeys_AreAllEncryptedWithTheGeneratedCertificate()
    {
        var database = DatabaseIn("app");
        await using var app = App(database);
        var team = await app.CreateTeamAsync();
        await app.EnableScimAsync(team);

        var rows = await RawKeyRowsAsync(database);
        Assert.NotEmpty(rows);
        var thumbprint = CertificateThumbprint(GeneratedCertificateBeside(database));
        foreach (var row in rows)
        {
            Assert.DoesNotContain("unencrypted form", row, StringComparison.Ordinal);
            Assert.DoesNotContain(XElement.Parse(row).Descendants(), e => e.Name.LocalName is "masterKey" or "value");
            Assert.Contains("encryptedSecret", row, StringComparison.Ordinal);
            Assert.Equal([thumbprint], EncryptedWith(row));
        }

        Assert.Contains(app.Logs.Lines, l => l.Contains($"Generated a key-encryption certificate (thumbprint {thumbprint}) at {GeneratedCertificateBeside(database)}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CopiedDatabase_WithoutItsCertificate_RevealsNothing_AndWithItWorks()
    {
        var original = DatabaseIn("original");
        var copy = DatabaseIn("copy");
        string token;
        await using (var app = App(original))
        {
            var team = await app.CreateTeamAsync();
            token = await app.EnableScimAsync(team);
            BackUp(original, copy);
        }

        // Another folder: no certificate beside the copy. A new one would orphan the secrets, so none is made.
        await using (var thief = App(copy))
        {
            var error = StartUpError(thief);
            Assert.Contains($"its file {GeneratedCertificateBeside(copy)} is missing", error, StringComparison.Ordinal);
            Assert.Contains("Restore it", error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(GeneratedCertificateBeside(copy)));

        // Another certificate, configured: refused too, naming the certificate the keys need.
        var other = NewCertificate(Path.Combine(folder, "other.pfx"));
        await using (var thief = App(copy).WithSetting(CertificatePath, other))
        {
            var error = StartUpError(thief);
            Assert.Contains($"encrypted with key-encryption certificate(s) {CertificateThumbprint(GeneratedCertificateBeside(original))}, which are not configured", error, StringComparison.Ordinal);
        }

        await using (var restored = App(copy).WithSetting(CertificatePath, GeneratedCertificateBeside(original)))
        {
            var teamId = (await restored.Get<Catalytic.Admin.Teams.TeamService>().FindBySlugAsync("acme"))!.Id;
            Assert.Equal(token, await restored.Get<ScimTokenService>().RevealCurrentAsync(teamId));
        }
    }

    [Fact]
    public async Task KeysStoredUnencryptedByEarlierVersions_AreEncryptedInPlace_AndStillDecrypt()
    {
        var database = DatabaseIn("old");
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        string protectedValue;
        await using (var earlier = EarlierVersion(database))
        {
            await using (var scope = earlier.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<SqliteAdminDbContext>().Database.MigrateAsync();
            }

            protectedValue = earlier.GetRequiredService<IDataProtectionProvider>().CreateProtector(ScimTokenPurpose).Protect("scim_from_before");
        }

        var before = await RawKeyRowsAsync(database);
        Assert.All(before, row => Assert.Contains("unencrypted form", row, StringComparison.Ordinal));

        await using (var app = App(database))
        {
            Assert.Equal("scim_from_before", app.Get<IDataProtectionProvider>().CreateProtector(ScimTokenPurpose).Unprotect(protectedValue));
            Assert.Contains(app.Logs.Lines, l => l.Contains($"Encrypted {before.Count} Data Protection key(s) that an earlier version stored unencrypted", StringComparison.Ordinal));
        }

        var after = await RawKeyRowsAsync(database);
        Assert.Equal(before.Select(KeyId).Order(), after.Select(KeyId).Order());
        var thumbprint = CertificateThumbprint(GeneratedCertificateBeside(database));
        Assert.All(after, row =>
        {
            Assert.DoesNotContain("unencrypted form", row, StringComparison.Ordinal);
            Assert.Equal([thumbprint], EncryptedWith(row));
        });

        // The migrated key ring still opens in a fresh process, with the same key.
        await using var again = App(database);
        Assert.Equal("scim_from_before", again.Get<IDataProtectionProvider>().CreateProtector(ScimTokenPurpose).Unprotect(protectedValue));
    }

    [Fact]
    public async Task NewCertificate_WithOldAsPrevious_Decrypts_RotateMovesEveryKey_ThenOldCanGo()
    {
        var database = DatabaseIn("rotate");
        var oldCertificate = GeneratedCertificateBeside(database);
        string token;
        Guid teamId;
        await using (var app = App(database))
        {
            var team = await app.CreateTeamAsync();
            teamId = team.Id;
            token = await app.EnableScimAsync(team);
        }

        var newCertificate = NewCertificate(Path.Combine(folder, "new.pfx"));
        var newThumbprint = CertificateThumbprint(newCertificate);

        // Dropping the old certificate before the keys moved would orphan them: refused.
        await using (var tooEarly = App(database).WithSetting(CertificatePath, newCertificate))
        {
            Assert.Contains("which are not configured", StartUpError(tooEarly), StringComparison.Ordinal);
        }

        int keysBefore;
        await using (var app = App(database).WithSetting(CertificatePath, newCertificate).WithSetting(PreviousCertificate, oldCertificate))
        {
            Assert.Equal(token, await app.Get<ScimTokenService>().RevealCurrentAsync(teamId));
            var status = await RunCliAsync(app, "admin", "keys", "status");
            keysBefore = int.Parse(status["keys"]);
            Assert.Equal(keysBefore.ToString(), status["on-previous-certificate"]);
            Assert.Equal(newThumbprint, status["thumbprint"]);
            Assert.Equal($"{CertificateThumbprint(oldCertificate)} {oldCertificate}", status["previous"]);

            var rotation = await RunCliAsync(app, "admin", "keys", "rotate");
            Assert.Equal(keysBefore.ToString(), rotation["reencrypted"]);
            var newKey = Guid.Parse(rotation["key"]);
            Assert.Contains(app.Get<IKeyManager>().GetAllKeys(), k => k.KeyId == newKey);

            status = await RunCliAsync(app, "admin", "keys", "status");
            Assert.Equal((keysBefore + 1).ToString(), status["keys"]);
            Assert.Equal("0", status["on-previous-certificate"]);
        }

        var rows = await RawKeyRowsAsync(database);
        Assert.Equal(keysBefore + 1, rows.Count);
        Assert.All(rows, row => Assert.Equal([newThumbprint], EncryptedWith(row)));

        File.Delete(oldCertificate);
        await using (var app = App(database).WithSetting(CertificatePath, newCertificate))
        {
            Assert.Equal(token, await app.Get<ScimTokenService>().RevealCurrentAsync(teamId));
        }
    }

    [Fact]
    public async Task GeneratedCertificate_AndTheFolderCreatedForIt_AreOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes");
            return;
        }

        var database = Path.Combine(folder, "new", "nested", "admin.db");
        await using var app = App(database);
        _ = app.Services;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(GeneratedCertificateBeside(database)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(database)!));
    }

    [Fact]
    public async Task GeneratedCertificate_UsesTheConfiguredPassword()
    {
        var database = DatabaseIn("password");
        await using (var app = App(database).WithSetting(CertificatePassword, "from-the-environment"))
        {
            _ = app.Services;
        }

        var pfx = await File.ReadAllBytesAsync(GeneratedCertificateBeside(database));
        Assert.ThrowsAny<CryptographicException>(() => X509CertificateLoader.LoadPkcs12(pfx, null));
        using var certificate = X509CertificateLoader.LoadPkcs12(pfx, "from-the-environment");
        Assert.True(certificate.HasPrivateKey);
    }

    [Fact]
    public async Task ConfiguredCertificateMissing_FailsStartUp_AndGeneratesNone()
    {
        var database = DatabaseIn("missing");
        var missing = Path.Combine(folder, "nowhere.pfx");
        await using (var app = App(database).WithSetting(CertificatePath, missing))
        {
            var error = StartUpError(app);
            Assert.Contains($"The key-encryption certificate {missing} (from Catalytic:KeyRing:CertificatePath) cannot be read", error, StringComparison.Ordinal);
            Assert.Contains("No new one is generated", error, StringComparison.Ordinal);
        }

        await using (var app = App(database).WithSetting(PreviousCertificate, missing))
        {
            Assert.Contains($"The key-encryption certificate {missing} (from Catalytic:KeyRing:PreviousCertificatePaths) cannot be read", StartUpError(app), StringComparison.Ordinal);
        }

        Assert.False(File.Exists(GeneratedCertificateBeside(database)));
    }

    [Fact]
    public async Task ConfiguredCertificate_WithWrongPasswordOrNotAPfx_FailsStartUp()
    {
        var locked = NewCertificate(Path.Combine(folder, "locked.pfx"), "right");
        await using (var app = App(DatabaseIn("wrong")).WithSetting(CertificatePath, locked).WithSetting(CertificatePassword, "wrong"))
        {
            Assert.Contains($"The key-encryption certificate {locked} (from Catalytic:KeyRing:CertificatePath) is not a PFX file this password opens", StartUpError(app), StringComparison.Ordinal);
        }

        var notPfx = Path.Combine(folder, "not.pfx");
        await File.WriteAllTextAsync(notPfx, "not a certificate");
        await using (var app = App(DatabaseIn("wrong")).WithSetting(CertificatePath, notPfx))
        {
            Assert.Contains($"{notPfx} (from Catalytic:KeyRing:CertificatePath) is not a PFX file", StartUpError(app), StringComparison.Ordinal);
        }

        // A previous certificate without a password (e.g. the generated one) still opens beside a locked current one.
        var open = NewCertificate(Path.Combine(folder, "open.pfx"));
        await using (var app = App(DatabaseIn("right")).WithSetting(CertificatePath, locked).WithSetting(CertificatePassword, "right").WithSetting(PreviousCertificate, open))
        {
            var status = await RunCliAsync(app, "admin", "keys", "status");
            Assert.Equal(CertificateThumbprint(locked, "right"), status["thumbprint"]);
            Assert.Equal($"{CertificateThumbprint(open)} {open}", status["previous"]);
        }
    }

    [Fact]
    public void DataProtection_WithoutTheStartUpStep_RefusesToEncryptToAnUnsavedCertificate()
    {
        var database = DatabaseIn("unprepared");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Catalytic:Database:ConnectionString"] = $"Data Source={database}" })
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System);
        services.AddAdminData(configuration);
        using var provider = services.BuildServiceProvider();
        using (var db = provider.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContext())
        {
            db.Database.Migrate();
        }

        var error = Record.Exception(() => provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("secret"));
        Assert.NotNull(error);
        Assert.Contains("not saved yet", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(GeneratedCertificateBeside(database)));
    }

    [Fact]
    public async Task KeysStatus_OnAFreshApp_NamesTheGeneratedCertificate_AndRotateAddsAKeyActiveLater()
    {
        var database = DatabaseIn("status");
        await using var app = App(database);
        var team = await app.CreateTeamAsync();
        await app.EnableScimAsync(team);

        var status = await RunCliAsync(app, "admin", "keys", "status");
        Assert.Equal(GeneratedCertificateBeside(database), status["certificate"]);
        Assert.Equal(CertificateThumbprint(GeneratedCertificateBeside(database)), status["thumbprint"]);
        Assert.Equal("true", status["generated"]);
        Assert.Equal((await RawKeyRowsAsync(database)).Count.ToString(), status["keys"]);
        Assert.Equal("0", status["unencrypted"]);
        Assert.Equal("0", status["on-previous-certificate"]);
        Assert.False(status.ContainsKey("previous"));

        // Every key is on the current certificate already: nothing to re-encrypt, one key more.
        var rotation = await RunCliAsync(app, "admin", "keys", "rotate");
        Assert.Equal("0", rotation["reencrypted"]);
        Assert.Equal((int.Parse(status["keys"]) + 1).ToString(), (await RunCliAsync(app, "admin", "keys", "status"))["keys"]);
        var key = Assert.Single(app.Get<IKeyManager>().GetAllKeys(), k => k.KeyId == Guid.Parse(rotation["key"]));
        Assert.Equal(app.Clock.GetUtcNow() + KeyRing.NewKeyActivationDelay, key.ActivationDate);
        Assert.Equal(key.ActivationDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), rotation["activates"]);
    }

    /// <summary>The command's key=value lines; a failing command fails the test with its stderr.</summary>
    private static async Task<Dictionary<string, string>> RunCliAsync(AppFactory app, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await AdminCli.RunAsync(app.Services, args, output, error);
        Assert.True(exit == 0, error.ToString());
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
    }

    /// <summary>Every message of the exception that stopped the app from starting.</summary>
    private static string StartUpError(AppFactory app)
    {
        var error = Record.Exception(() => app.Services);
        Assert.NotNull(error);
        var messages = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    /// <summary>The stored key XML, read as anyone holding the file would: plain SQL, no app.</summary>
    private static async Task<List<string>> RawKeyRowsAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Xml FROM DataProtectionKeys";
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    /// <summary>A consistent copy of a database in use (SQLite's online backup), as a backup or replica would be.</summary>
    private static void BackUp(string source, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        using var from = new SqliteConnection($"Data Source={source};Pooling=False");
        using var to = new SqliteConnection($"Data Source={destination};Pooling=False");
        from.Open();
        to.Open();
        from.BackupDatabase(to);
    }

    /// <summary>Data Protection as versions before the key ring had it: keys in the database, unencrypted.</summary>
    private static ServiceProvider EarlierVersion(string database)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<SqliteAdminDbContext>(db => db.UseSqlite($"Data Source={database};Pooling=False"));
        services.AddDataProtection().SetApplicationName("Catalytic.Admin").PersistKeysToDbContext<SqliteAdminDbContext>();
        return services.BuildServiceProvider();
    }

    private static string NewCertificate(string path, string? password = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Test key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(path, certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password));
        return path;
    }

    private static string CertificateThumbprint(string pfxPath, string? password = null)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(pfxPath, password);
        return certificate.Thumbprint;
    }

    private static string KeyId(string row) => XElement.Parse(row).Attribute("id")!.Value;

    /// <summary>Thumbprints of the certificates a stored key is encrypted to.</summary>
    private static List<string> EncryptedWith(string row) =>
        [.. XElement.Parse(row).Descendants(XName.Get("X509Certificate", "http://www.w3.org/2000/09/xmldsig#"))
            .Select(e =>
            {
                using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(e.Value));
                return certificate.Thumbprint;
            })];
}
