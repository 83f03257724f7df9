using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Catalytic.Admin.Bench;

/// <summary>
/// What the bench last got acknowledged for one user: the five stored attributes plus userName, externalId
/// and active. Each user is written by one worker at a time, and read only after that phase has ended.
/// </summary>
internal sealed class ExpectedUser
{
    public required int Index { get; init; }

    public required string UserName { get; init; }

    public required string GivenName { get; init; }

    public required string FamilyName { get; init; }

    public required string DisplayName { get; set; }

    public required string Email { get; set; }

    public required string Phone { get; init; }

    public required string ExternalId { get; init; }

    public required string Password { get; init; }

    public bool Active { get; set; } = true;

    /// <summary>The SCIM id the server gave on create; null until then.</summary>
    public string? Id { get; set; }

    /// <summary>A write timed out: the server may or may not have applied it, so it cannot be checked.</summary>
    public bool Uncertain { get; set; }
}

/// <summary>The users an IdP would send, and the request bodies, Okta-like for creates and Entra-like for PATCH.</summary>
internal static class Workload
{
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    public const string PatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public const string ListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

    /// <summary>Attributes IdPs send that the product does not store: none may come back.</summary>
    public static readonly string[] DroppedAttributes = ["title", "locale", "password", "preferredLanguage", "timezone", "nickName", "addresses", EnterpriseSchema];

    private static readonly string[] GivenNames =
        ["Erika", "Jonas", "Amara", "Luis", "Mei", "Noah", "Priya", "Omar", "Sofia", "Kenji", "Ava", "Mateo", "Zara", "Ivan", "Lena", "Tariq"];

    private static readonly string[] FamilyNames =
        ["Mustermann", "Okafor", "Garcia", "Chen", "Patel", "Novak", "Haddad", "Silva", "Tanaka", "Kowalski", "Nguyen", "Berg", "Mensah", "Rossi"];

    public static ExpectedUser[] MakeUsers(int n, int seed)
    {
        var random = new Random(seed);
        var users = new ExpectedUser[n];
        for (var i = 0; i < n; i++)
        {
            var given = GivenNames[random.Next(GivenNames.Length)];
            var family = FamilyNames[random.Next(FamilyNames.Length)];
            users[i] = new ExpectedUser
            {
                Index = i,
                // Alphanumeric, as the product requires; unique by the index.
                UserName = string.Create(CultureInfo.InvariantCulture, $"{given}{family}{i:D6}"),
                GivenName = given,
                FamilyName = family,
                DisplayName = $"{given} {family}",
                Email = string.Create(CultureInfo.InvariantCulture, $"{given}.{family}.{i}@example.com").ToLowerInvariant(),
                Phone = string.Create(CultureInfo.InvariantCulture, $"+1 555 {i / 10000 % 1000:D3} {i % 10000:D4}"),
                ExternalId = "00u" + RandomAlphanumeric(random, 17),
                Password = "Bench-pw-" + RandomAlphanumeric(random, 16),
            };
        }

        return users;
    }

    /// <summary>An Okta-style create: the stored attributes, plus what Okta sends that must be dropped.</summary>
    public static byte[] CreateBody(ExpectedUser u) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue(UserSchema);
        w.WriteStringValue(EnterpriseSchema);
        w.WriteEndArray();
        w.WriteString("userName", u.UserName);
        w.WriteStartObject("name");
        w.WriteString("givenName", u.GivenName);
        w.WriteString("familyName", u.FamilyName);
        w.WriteEndObject();
        w.WriteString("displayName", u.DisplayName);
        w.WriteStartArray("emails");
        w.WriteStartObject();
        w.WriteBoolean("primary", true);
        w.WriteString("value", u.Email);
        w.WriteString("type", "work");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("phoneNumbers");
        w.WriteStartObject();
        w.WriteBoolean("primary", true);
        w.WriteString("value", u.Phone);
        w.WriteString("type", "work");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("externalId", u.ExternalId);
        w.WriteBoolean("active", true);
        w.WriteString("locale", "en-US");
        w.WriteString("preferredLanguage", "en-US");
        w.WriteString("timezone", "Europe/Berlin");
        w.WriteString("title", "Benchmark Engineer");
        w.WriteString("nickName", "bench" + u.Index.ToString(CultureInfo.InvariantCulture));
        w.WriteString("password", u.Password);
        w.WriteStartArray("addresses");
        w.WriteStartObject();
        w.WriteString("type", "work");
        w.WriteString("streetAddress", "1 Bench Street");
        w.WriteString("locality", "Loopback");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("groups");
        w.WriteEndArray();
        w.WriteStartObject(EnterpriseSchema);
        w.WriteString("department", "Dept" + u.Index.ToString(CultureInfo.InvariantCulture));
        w.WriteString("employeeNumber", "E" + u.Index.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>An Entra-style PATCH: capitalised ops, the boolean as a string, a filtered email path.</summary>
    public static byte[] PatchBody(string displayName, string email) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue(PatchSchema);
        w.WriteEndArray();
        w.WriteStartArray("Operations");
        Op(w, "displayName", displayName);
        Op(w, "active", "False");
        Op(w, "emails[type eq \"work\"].value", email);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static string UserNameFilter(string userName) => $"userName eq \"{userName}\"";

    /// <summary>
    /// Checks a returned user against what was acknowledged: every stored attribute as sent, and none of the
    /// dropped ones. Returns the differences (lost) and the dropped attributes that came back (leaked).
    /// </summary>
    public static (List<string> Lost, List<string> Leaked) Compare(ExpectedUser expected, JsonElement user, string rawBody)
    {
        var lost = new List<string>();
        var leaked = new List<string>();
        Check(lost, "id", expected.Id, Str(user, "id"), StringComparison.Ordinal);
        Check(lost, "userName", expected.UserName, Str(user, "userName"), StringComparison.Ordinal);
        var name = Prop(user, "name");
        Check(lost, "name.givenName", expected.GivenName, name is { } n1 ? Str(n1, "givenName") : null, StringComparison.Ordinal);
        Check(lost, "name.familyName", expected.FamilyName, name is { } n2 ? Str(n2, "familyName") : null, StringComparison.Ordinal);
        Check(lost, "displayName", expected.DisplayName, Str(user, "displayName"), StringComparison.Ordinal);
        Check(lost, "emails work", expected.Email, MultiValue(user, "emails"), StringComparison.OrdinalIgnoreCase);
        Check(lost, "phoneNumbers", expected.Phone, MultiValue(user, "phoneNumbers"), StringComparison.Ordinal);
        Check(lost, "externalId", expected.ExternalId, Str(user, "externalId"), StringComparison.Ordinal);
        var active = Prop(user, "active");
        if (active is not { ValueKind: JsonValueKind.True or JsonValueKind.False } a || a.GetBoolean() != expected.Active)
        {
            lost.Add($"active: expected {expected.Active}, got {active?.GetRawText() ?? "nothing"}");
        }

        foreach (var dropped in DroppedAttributes)
        {
            if (Prop(user, dropped) is not null)
            {
                leaked.Add(dropped);
            }
        }

        if (rawBody.Contains(expected.Password, StringComparison.Ordinal))
        {
            leaked.Add("the password's value");
        }

        return (lost, leaked);
    }

    /// <summary>A property by name, case-insensitively (SCIM attribute names are).</summary>
    public static JsonElement? Prop(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    public static string? Str(JsonElement element, string name) =>
        Prop(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static int? Int(JsonElement element, string name) =>
        Prop(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var i) ? i : null;

    /// <summary>The primary value of a multi-valued attribute, else the "work" one, else the first.</summary>
    private static string? MultiValue(JsonElement user, string attribute)
    {
        if (Prop(user, attribute) is not { ValueKind: JsonValueKind.Array } values || values.GetArrayLength() == 0)
        {
            return null;
        }

        var items = values.EnumerateArray().ToList();
        var chosen = items.FirstOrDefault(v => Prop(v, "primary") is { ValueKind: JsonValueKind.True });
        if (chosen.ValueKind == JsonValueKind.Undefined)
        {
            chosen = items.FirstOrDefault(v => string.Equals(Str(v, "type"), "work", StringComparison.OrdinalIgnoreCase));
        }

        if (chosen.ValueKind == JsonValueKind.Undefined)
        {
            chosen = items[0];
        }

        return Str(chosen, "value");
    }

    private static void Check(List<string> lost, string attribute, string? expected, string? actual, StringComparison comparison)
    {
        if (!string.Equals(expected, actual, comparison))
        {
            lost.Add($"{attribute}: expected '{expected}', got '{actual ?? "nothing"}'");
        }
    }

    private static void Op(Utf8JsonWriter w, string path, string value)
    {
        w.WriteStartObject();
        w.WriteString("op", "Replace");
        w.WriteString("path", path);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string RandomAlphanumeric(Random random, int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[r.Next(alphabet.Length)];
            }
        });
    }
}
