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

/// <summary>Writes a SCIM resource or message as <c>application/scim+json</c>.</summary>
public sealed class ScimJsonResult(object value, int status = StatusCodes.Status200OK, string? location = null, string? etag = null)
    : IResult, IStatusCodeHttpResult, IValueHttpResult
{
    public int? StatusCode => status;

    public object? Value => value;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = ScimJson.MediaType;
        if (location is not null)
        {
            httpContext.Response.Headers.Location = location;
        }

        if (etag is not null)
        {
            httpContext.Response.Headers.ETag = etag;
        }

        await System.Text.Json.JsonSerializer.SerializeAsync(httpContext.Response.Body, value, value.GetType(), ScimJson.Options, httpContext.RequestAborted);
    }
}
