using System.Text.Json.Serialization;

namespace Catalytic.Admin.Scim;

/// <summary>The SCIM Error message (RFC 7644 §3.12): <c>status</c> is a string, <c>scimType</c> where one applies.</summary>
public sealed record ScimError(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("scimType")] string? ScimType,
    [property: JsonPropertyName("detail")] string Detail)
{
    public const string Schema = "urn:ietf:params:scim:api:messages:2.0:Error";

    [JsonPropertyName("schemas")]
    public string[] Schemas { get; } = [Schema];
}

/// <summary>The scimType values of RFC 7644 §3.12 that this endpoint uses.</summary>
public static class ScimErrorType
{
    public const string InvalidFilter = "invalidFilter";
    public const string TooMany = "tooMany";
    public const string Uniqueness = "uniqueness";
    public const string Mutability = "mutability";
    public const string InvalidSyntax = "invalidSyntax";
    public const string InvalidPath = "invalidPath";
    public const string NoTarget = "noTarget";
    public const string InvalidValue = "invalidValue";
    public const string InvalidVersion = "invalidVers";
}

/// <summary>Writes SCIM errors; also tells the provisioning log what the IdP was told.</summary>
public sealed class ScimErrorResult(int status, string? scimType, string detail) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => status;

    public string? ScimType => scimType;

    public string Detail => detail;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        Provisioning.ProvisioningContext.Get(httpContext)?.Fail(scimType, detail);
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = ScimJson.MediaType;
        await System.Text.Json.JsonSerializer.SerializeAsync(
            httpContext.Response.Body, new ScimError(status.ToString(System.Globalization.CultureInfo.InvariantCulture), scimType, detail), ScimJson.Options, httpContext.RequestAborted);
    }
}

/// <summary>
/// Writes a SCIM resource or message as <c>application/scim+json</c>: a value serialised with
/// <see cref="ScimJson.Options"/>, or a callback that writes the JSON itself (resources, lists).
/// </summary>
public sealed class ScimJsonResult : IResult, IStatusCodeHttpResult, IValueHttpResult
{
    private readonly object? value;
    private readonly Action<System.Text.Json.Utf8JsonWriter>? write;
    private readonly int status;
    private readonly string? location;
    private readonly string? etag;

    public ScimJsonResult(object value, int status = StatusCodes.Status200OK, string? location = null, string? etag = null)
        : this(status, location, etag) => this.value = value;

    public ScimJsonResult(Action<System.Text.Json.Utf8JsonWriter> write, int status = StatusCodes.Status200OK, string? location = null, string? etag = null)
        : this(status, location, etag) => this.write = write;

    private ScimJsonResult(int status, string? location, string? etag)
    {
        this.status = status;
        this.location = location;
        this.etag = etag;
    }

    public int? StatusCode => status;

    public object? Value => value;

    public string? Location => location;

    public string? ETag => etag;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = ScimJson.MediaType;
        if (location is not null)
        {
            response.Headers.Location = location;
        }

        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }

        if (write is null)
        {
            await System.Text.Json.JsonSerializer.SerializeAsync(response.Body, value, value!.GetType(), ScimJson.Options, httpContext.RequestAborted);
            return;
        }

        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, ScimJson.WriterOptions))
        {
            write(writer);
        }

        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, httpContext.RequestAborted);
    }
}
