using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalytic.Admin.Bench.Ceiling;

/// <summary>
/// The ceiling: the same SCIM work the bench asks of the app (bearer token, filter by userName, create,
/// Entra-style PATCH, GET by id, pages; JSON in and out of the same shape) as a minimal API over raw
/// Microsoft.Data.Sqlite, with nothing else. What it does per second is what this machine can do, so the
/// app's numbers are reported as ratios to it. Runs as its own process, like the app.
/// </summary>
internal static partial class CeilingServer
{
    public const string TokenVariable = "CATALYTIC_BENCH_TOKEN";
    private const string MediaType = "application/scim+json";

    public static async Task<int> RunAsync(int port, string databasePath, string team, string synchronous, int? parentPid, CancellationToken ct)
    {
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(token))
        {
            await Console.Error.WriteLineAsync($"error: set {TokenVariable} to the bearer token the ceiling accepts.");
            return 2;
        }

        var tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        using var store = new CeilingStore(databasePath, Guid.NewGuid().ToString(), synchronous);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();

        app.Use(async (context, next) =>
        {
            var presented = context.Request.Headers.Authorization.ToString();
            var ok = presented.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented[7..].Trim())), tokenHash)
                && context.Request.Path.StartsWithSegments("/scim/v2/" + team, StringComparison.OrdinalIgnoreCase, out _);
            if (!ok)
            {
                await ErrorAsync(context, 401, null, "Authentication required.");
                return;
            }

            await next(context);
        });

        var scim = app.MapGroup("/scim/v2/{team}");
        scim.MapGet("/ServiceProviderConfig", (HttpContext context) => WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("schemas");
            w.WriteStringValue("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
            w.WriteEndArray();
            w.WriteStartObject("patch");
            w.WriteBoolean("supported", true);
            w.WriteEndObject();
            w.WriteStartObject("filter");
            w.WriteBoolean("supported", true);
            w.WriteNumber("maxResults", 1000);
            w.WriteEndObject();
            w.WriteEndObject();
        }));
        scim.MapGet("/Users", (HttpContext context) => ListAsync(context, store));
        scim.MapPost("/Users", (HttpContext context) => CreateAsync(context, store));
        scim.MapGet("/Users/{id}", (HttpContext context, string id) => GetAsync(context, store, id));
        scim.MapPatch("/Users/{id}", (HttpContext context, string id) => PatchAsync(context, store, id));
        scim.MapDelete("/Users/{id}", async (HttpContext context, string id) =>
        {
            if (await store.DeleteAsync(id))
            {
                context.Response.StatusCode = 204;
            }
            else
            {
                await ErrorAsync(context, 404, null, $"User '{id}' does not exist.");
            }
        });

        if (parentPid is { } parent)
        {
            // The bench may be killed without a chance to stop us: do not outlive it.
            _ = WatchParentAsync(parent, app.Lifetime);
        }

        await app.StartAsync(ct);
        await Console.Out.WriteLineAsync($"ceiling listening on http://127.0.0.1:{port}/scim/v2/{team} (WAL, synchronous={synchronous})");
        try
        {
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping).Token);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    private static async Task ListAsync(HttpContext context, CeilingStore store)
    {
        var query = context.Request.Query;
        var startIndex = Math.Max(1, ParseInt(query["startIndex"], 1));
        var count = Math.Clamp(ParseInt(query["count"], 100), 0, 1000);
        int total;
        List<CeilingUser> page;
        var filter = query["filter"].ToString();
        if (filter.Length > 0)
        {
            var match = FilterPattern().Match(filter);
            if (!match.Success)
            {
                await ErrorAsync(context, 400, "invalidFilter", $"The filter '{filter}' is not supported here: use userName, externalId or emails[type eq \"work\"].value with eq.");
                return;
            }

            var attribute = match.Groups[1].Value.ToUpperInvariant() switch
            {
                "USERNAME" => CeilingFilterAttribute.UserName,
                "EXTERNALID" => CeilingFilterAttribute.ExternalId,
                "ID" => CeilingFilterAttribute.Id,
                _ => CeilingFilterAttribute.Email,
            };
            var value = match.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            (total, page) = store.Filter(attribute, value, startIndex - 1, count);
        }
        else
        {
            (total, page) = store.List(startIndex - 1, count);
        }

        var baseUrl = BaseUrl(context);
        await WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("schemas");
            w.WriteStringValue(Workload.ListSchema);
            w.WriteEndArray();
            w.WriteNumber("totalResults", total);
            w.WriteNumber("startIndex", startIndex);
            w.WriteNumber("itemsPerPage", page.Count);
            w.WriteStartArray("Resources");
            foreach (var user in page)
            {
                WriteUser(w, user, baseUrl);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task CreateAsync(HttpContext context, CeilingStore store)
    {
        using var body = await ReadBodyAsync(context);
        if (body is null)
        {
            await ErrorAsync(context, 400, "invalidSyntax", "The request body is not a JSON object.");
            return;
        }

        var now = DateTime.UtcNow;
        var user = new CeilingUser { Id = Guid.NewGuid().ToString(), Created = now, Updated = now };
        foreach (var property in body.RootElement.EnumerateObject())
        {
            Apply(user, property.Name, property.Value, remove: false);
        }

        if (Validate(user) is { } invalid)
        {
            await ErrorAsync(context, 400, "invalidValue", invalid);
            return;
        }

        switch (await store.InsertAsync(user))
        {
            case CeilingStore.WriteOutcome.UserNameTaken:
                await ErrorAsync(context, 409, "uniqueness", $"userName '{user.UserName}' is already used by another account.");
                return;
            case CeilingStore.WriteOutcome.EmailTaken:
                await ErrorAsync(context, 409, "uniqueness", $"email '{user.Email}' is already used by another account.");
                return;
        }

        var baseUrl = BaseUrl(context);
        context.Response.Headers.Location = $"{baseUrl}/Users/{user.Id}";
        await WriteAsync(context, 201, w => WriteUser(w, user, baseUrl));
    }

    private static async Task GetAsync(HttpContext context, CeilingStore store, string id)
    {
        if (store.Find(id) is not { } user)
        {
            await ErrorAsync(context, 404, null, $"User '{id}' does not exist.");
            return;
        }

        var baseUrl = BaseUrl(context);
        await WriteAsync(context, 200, w => WriteUser(w, user, baseUrl));
    }

    private static async Task PatchAsync(HttpContext context, CeilingStore store, string id)
    {
        using var body = await ReadBodyAsync(context);
        if (body is null || Workload.Prop(body.RootElement, "Operations") is not { ValueKind: JsonValueKind.Array } operations)
        {
            await ErrorAsync(context, 400, "invalidSyntax", "A PATCH needs a PatchOp body with Operations.");
            return;
        }

        string? invalid = null;
        var (outcome, user) = await store.UpdateAsync(id, u =>
        {
            foreach (var operation in operations.EnumerateArray())
            {
                var op = Workload.Str(operation, "op")?.ToUpperInvariant();
                var path = Workload.Str(operation, "path");
                var value = Workload.Prop(operation, "value") ?? default;
                if (op is not ("ADD" or "REPLACE" or "REMOVE"))
                {
                    invalid = $"Unknown PATCH op '{op}'.";
                    return false;
                }

                if (path is not null)
                {
                    Apply(u, path, value, op == "REMOVE");
                }
                else if (value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in value.EnumerateObject())
                    {
                        Apply(u, property.Name, property.Value, op == "REMOVE");
                    }
                }
            }

            invalid = Validate(u);
            return invalid is null;
        });

        if (invalid is not null)
        {
            await ErrorAsync(context, 400, "invalidValue", invalid);
        }
        else if (outcome == CeilingStore.WriteOutcome.NotFound)
        {
            await ErrorAsync(context, 404, null, $"User '{id}' does not exist.");
        }
        else if (outcome != CeilingStore.WriteOutcome.Done || user is null)
        {
            await ErrorAsync(context, 409, "uniqueness", "userName or email is already used by another account.");
        }
        else
        {
            var baseUrl = BaseUrl(context);
            await WriteAsync(context, 200, w => WriteUser(w, user, baseUrl));
        }
    }

    /// <summary>Sets one attribute from a body property or PATCH path; anything not stored is dropped.</summary>
    private static void Apply(CeilingUser user, string path, JsonElement value, bool remove)
    {
        var key = path.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        string? text = remove ? null : value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        switch (key)
        {
            case "USERNAME":
                user.UserName = text ?? "";
                break;
            case "DISPLAYNAME":
                user.DisplayName = text;
                break;
            case "EXTERNALID":
                user.ExternalId = text;
                break;
            case "ACTIVE":
                user.Active = value.ValueKind == JsonValueKind.True
                    || (value.ValueKind == JsonValueKind.String && bool.TryParse(value.GetString(), out var active) && active);
                break;
            case "NAME.GIVENNAME":
                user.GivenName = text;
                break;
            case "NAME.FAMILYNAME":
                user.FamilyName = text;
                break;
            case "NAME" when value.ValueKind == JsonValueKind.Object:
                foreach (var part in value.EnumerateObject())
                {
                    Apply(user, "name." + part.Name, part.Value, remove);
                }

                break;
            case "EMAILS[TYPEEQ\"WORK\"].VALUE":
                user.Email = text;
                break;
            case "EMAILS":
                user.Email = remove ? null : PrimaryValue(value);
                break;
            case "PHONENUMBERS[TYPEEQ\"WORK\"].VALUE":
                user.Phone = text;
                break;
            case "PHONENUMBERS":
                user.Phone = remove ? null : PrimaryValue(value);
                break;
        }
    }

    private static string? PrimaryValue(JsonElement values)
    {
        if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
        {
            return null;
        }

        var items = values.EnumerateArray().ToList();
        var chosen = items.FirstOrDefault(v => Workload.Prop(v, "primary") is { ValueKind: JsonValueKind.True });
        if (chosen.ValueKind == JsonValueKind.Undefined)
        {
            chosen = items.FirstOrDefault(v => string.Equals(Workload.Str(v, "type"), "work", StringComparison.OrdinalIgnoreCase));
        }

        return Workload.Str(chosen.ValueKind == JsonValueKind.Undefined ? items[0] : chosen, "value");
    }

    private static string? Validate(CeilingUser user) =>
        user.UserName.Length is 0 or > 64 || !UserNamePattern().IsMatch(user.UserName) ? $"userName '{user.UserName}' must be 1-64 letters and digits."
        : user.Email is not null && !EmailPattern().IsMatch(user.Email) ? $"email '{user.Email}' is not a valid email address."
        : null;

    private static void WriteUser(Utf8JsonWriter w, CeilingUser u, string baseUrl)
    {
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue(Workload.UserSchema);
        w.WriteEndArray();
        w.WriteString("id", u.Id);
        if (u.ExternalId is not null)
        {
            w.WriteString("externalId", u.ExternalId);
        }

        w.WriteString("userName", u.UserName);
        w.WriteStartObject("name");
        if (u.GivenName is not null)
        {
            w.WriteString("givenName", u.GivenName);
        }

        if (u.FamilyName is not null)
        {
            w.WriteString("familyName", u.FamilyName);
        }

        w.WriteEndObject();
        if (u.DisplayName is not null)
        {
            w.WriteString("displayName", u.DisplayName);
        }

        WriteMultiValue(w, "emails", u.Email);
        WriteMultiValue(w, "phoneNumbers", u.Phone);
        w.WriteBoolean("active", u.Active);
        w.WriteStartObject("meta");
        w.WriteString("resourceType", "User");
        w.WriteString("created", u.Created);
        w.WriteString("lastModified", u.Updated);
        w.WriteString("location", $"{baseUrl}/Users/{u.Id}");
        w.WriteString("version", string.Create(CultureInfo.InvariantCulture, $"W/\"{u.Version}\""));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteMultiValue(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        w.WriteStartArray(name);
        w.WriteStartObject();
        w.WriteString("value", value);
        w.WriteString("type", "work");
        w.WriteBoolean("primary", true);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaType;
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            write(writer);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext context, int status, string? scimType, string detail) => WriteAsync(context, status, w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("schemas");
        w.WriteStringValue("urn:ietf:params:scim:api:messages:2.0:Error");
        w.WriteEndArray();
        w.WriteString("status", status.ToString(CultureInfo.InvariantCulture));
        if (scimType is not null)
        {
            w.WriteString("scimType", scimType);
        }

        w.WriteString("detail", detail);
        w.WriteEndObject();
    });

    private static async Task<JsonDocument?> ReadBodyAsync(HttpContext context)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string BaseUrl(HttpContext context) =>
        $"{context.Request.Scheme}://{context.Request.Host}/scim/v2/{context.Request.RouteValues["team"]}";

    private static int ParseInt(string? value, int fallback) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : fallback;

    private static async Task WatchParentAsync(int parentPid, IHostApplicationLifetime lifetime)
    {
        while (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            try
            {
                using var parent = Process.GetProcessById(parentPid);
                if (parent.HasExited)
                {
                    lifetime.StopApplication();
                }
            }
            catch (ArgumentException)
            {
                lifetime.StopApplication();
            }
        }
    }

    [GeneratedRegex("""^\s*(userName|externalId|id|emails(?:\[\s*type\s+eq\s+"work"\s*\])?\.value|emails)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FilterPattern();

    [GeneratedRegex("^[A-Za-z0-9]+$")]
    private static partial Regex UserNamePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailPattern();
}
