using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Catalytic.Admin.Sso;

namespace Catalytic.Admin.Scim;

/// <summary>Reading what a SCIM client sent: the JSON body (whatever its Content-Type), query numbers, the team.</summary>
public static class ScimRequest
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    /// <summary>The team of the token that authenticated this request (the URL's team, checked by the bearer handler).</summary>
    public static Guid TeamId(HttpContext context) =>
        context.User.TeamId() ?? throw new InvalidOperationException("A SCIM handler ran without an authenticated team.");

    /// <summary>
    /// Reads the body as JSON, refusing more than <paramref name="maxBytes"/> whether or not Content-Length was
    /// sent (chunked bodies are counted while read). The caller disposes the document.
    /// </summary>
    public static async Task<(JsonDocument? Document, ScimErrorResult? Error)> ReadJsonAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var body = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (body.WrittenCount + read > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }

                body.Write(chunk.AsSpan(0, read));
            }
        }
        catch (BadHttpRequestException e)
        {
            return (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge(maxBytes)
                : new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidSyntax, "The request body could not be read."));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var bytes = body.WrittenMemory;
        if (bytes.Span.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return (null, new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidSyntax, "The request body is empty; send a SCIM resource as a JSON object."));
        }

        // The JSON reader leaves string contents unchecked until they are read; checking here keeps a bad byte
        // from surfacing later as an exception.
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            return (null, new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidSyntax, "The request body is not valid UTF-8 text."));
        }

        try
        {
            return (JsonDocument.Parse(bytes, DocumentOptions), null);
        }
        catch (JsonException e)
        {
            return (null, new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidSyntax, $"The request body is not valid JSON: {e.Message}"));
        }
    }

    /// <summary>Reads an integer query parameter; absent gives <paramref name="fallback"/>; out-of-range values are clamped.</summary>
    public static bool TryReadInteger(IQueryCollection query, string name, int fallback, out int value, out ScimErrorResult? error)
    {
        error = null;
        value = fallback;
        var text = query[name].ToString();
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var number))
        {
            error = new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidValue, $"{name} must be a whole number, not '{Shorten(text)}'.");
            return false;
        }

        value = number > int.MaxValue ? int.MaxValue : number < int.MinValue ? int.MinValue : (int)number;
        return true;
    }

    public static ScimErrorResult TooLarge(long maxBytes) => new(
        StatusCodes.Status413PayloadTooLarge,
        null,
        $"The request body is larger than {maxBytes.ToString(CultureInfo.InvariantCulture)} bytes, the most this endpoint accepts.");

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
