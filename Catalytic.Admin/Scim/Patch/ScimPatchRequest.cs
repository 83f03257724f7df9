using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Catalytic.Admin.Scim.Filters;

namespace Catalytic.Admin.Scim.Patch;

public enum PatchOperationKind
{
    Add,
    Replace,
    Remove,
}

/// <summary>One PATCH operation. <see cref="Value"/> is <c>Undefined</c> when the operation had none.</summary>
public sealed record PatchOperation(PatchOperationKind Kind, PatchPath? Path, JsonElement Value);

/// <summary>A PATCH request that cannot be applied as written; <see cref="ScimType"/> is the RFC 7644 §3.12 keyword.</summary>
public sealed class ScimPatchException : Exception
{
    public ScimPatchException()
    {
    }

    public ScimPatchException(string message)
        : base(message)
    {
    }

    public ScimPatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ScimPatchException(string scimType, string message)
        : base(message) => ScimType = scimType;

    public string ScimType { get; } = ScimErrorType.InvalidSyntax;
}

/// <summary>
/// Reads a PatchOp message (RFC 7644 §3.5.2) the way Okta and Entra ID write it: member names and op names in
/// any case ("Replace"), with or without a path, paths with value filters and URN prefixes. Only the shape is
/// checked here; what a path names is decided when the operations are applied, so unknown attributes pass.
/// </summary>
public static class ScimPatchRequest
{
    public static IReadOnlyList<PatchOperation> Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ScimPatchException(ScimErrorType.InvalidSyntax, "The PATCH body must be a JSON object with \"schemas\" and \"Operations\" (RFC 7644 §3.5.2).");
        }

        if (!body.TryGetMember("Operations", out var operations) || operations.ValueKind != JsonValueKind.Array)
        {
            throw new ScimPatchException(ScimErrorType.InvalidSyntax, "The PATCH body needs an \"Operations\" array, e.g. {\"op\":\"replace\",\"path\":\"active\",\"value\":false}.");
        }

        if (operations.GetArrayLength() == 0)
        {
            throw new ScimPatchException(ScimErrorType.InvalidSyntax, "\"Operations\" is empty: a PATCH request needs at least one operation.");
        }

        var parsed = new List<PatchOperation>(operations.GetArrayLength());
        var number = 0;
        foreach (var operation in operations.EnumerateArray())
        {
            parsed.Add(ParseOperation(operation, ++number));
        }

        return parsed;
    }

    public static bool TryParse(JsonElement body, [NotNullWhen(true)] out IReadOnlyList<PatchOperation>? operations, [NotNullWhen(false)] out ScimPatchException? error)
    {
        try
        {
            operations = Parse(body);
            error = null;
            return true;
        }
        catch (ScimPatchException e)
        {
            operations = null;
            error = e;
            return false;
        }
    }

    private static PatchOperation ParseOperation(JsonElement operation, int number)
    {
        if (operation.ValueKind != JsonValueKind.Object)
        {
            throw new ScimPatchException(ScimErrorType.InvalidSyntax, $"Operation {number} must be a JSON object with \"op\", \"path\" and \"value\".");
        }

        if (!operation.TryGetMember("op", out var op) || op.ValueKind != JsonValueKind.String)
        {
            throw new ScimPatchException(ScimErrorType.InvalidSyntax, $"Operation {number} has no \"op\"; use add, replace or remove.");
        }

        var name = op.GetString()!;
        if (!Enum.TryParse<PatchOperationKind>(name, ignoreCase: true, out var kind) || !name.All(char.IsAsciiLetter))
        {
            throw new ScimPatchException(ScimErrorType.InvalidSyntax, $"Operation {number} has op '{name}'; use add, replace or remove.");
        }

        var path = ParsePath(operation, number);
        var hasValue = operation.TryGetMember("value", out var value);
        if (kind == PatchOperationKind.Remove)
        {
            return path is null
                ? throw new ScimPatchException(ScimErrorType.NoTarget, $"Operation {number} (remove) needs a \"path\" naming what to remove.")
                : new PatchOperation(kind, path, default);
        }

        if (!hasValue)
        {
            throw new ScimPatchException(ScimErrorType.InvalidValue, $"Operation {number} ({name}) needs a \"value\".");
        }

        if (path is null && value.ValueKind != JsonValueKind.Object)
        {
            throw new ScimPatchException(ScimErrorType.InvalidValue, $"Operation {number} ({name}) has no \"path\", so its \"value\" must be an object of attributes, e.g. {{\"active\":false}}.");
        }

        return new PatchOperation(kind, path, value);
    }

    private static PatchPath? ParsePath(JsonElement operation, int number)
    {
        if (!operation.TryGetMember("path", out var path) || path.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (path.ValueKind != JsonValueKind.String)
        {
            throw new ScimPatchException(ScimErrorType.InvalidPath, $"Operation {number} has a \"path\" that is not a string.");
        }

        var text = path.GetString()!;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals(ScimSchemas.User, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        PatchPath parsed;
        try
        {
            parsed = ScimFilterParser.ParsePath(text);
        }
        catch (ScimFilterException e)
        {
            throw new ScimPatchException(ScimErrorType.InvalidPath, $"Operation {number} has an invalid path '{text}': {e.Message}");
        }

        var (attribute, sub) = ScimUserAttributes.Resolve(parsed.Attribute);
        if (parsed.Filter is not null && attribute != UserAttribute.Unknown && !(attribute is UserAttribute.Emails or UserAttribute.PhoneNumbers && sub is null))
        {
            throw new ScimPatchException(ScimErrorType.InvalidPath, $"Operation {number} has the path '{text}', but only multi-valued attributes (emails, phoneNumbers) take a [filter].");
        }

        return parsed;
    }
}
