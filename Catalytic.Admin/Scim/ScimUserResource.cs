using System.Globalization;
using System.Text.Json;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Scim;

/// <summary>
/// Writes a <see cref="User"/> as a SCIM User resource, straight to JSON. Only what the product stores is
/// shown (the password never is); unassigned attributes are left out, and the one email and one phone are
/// shown as the primary work value.
/// </summary>
public static class ScimUserResource
{
    /// <summary>The user properties <see cref="Write"/> reads; a listing page reads only these columns.</summary>
    public static readonly IReadOnlySet<string> Shows = new HashSet<string>
    {
        nameof(User.Id), nameof(User.TeamId), nameof(User.UserName), nameof(User.ExternalId), nameof(User.GivenName),
        nameof(User.FamilyName), nameof(User.DisplayName), nameof(User.Email), nameof(User.PrimaryPhone),
        nameof(User.Active), nameof(User.Version), nameof(User.CreatedAt), nameof(User.UpdatedAt),
    };

    public static string Location(string baseUrl, Guid id) => $"{baseUrl}/Users/{id}";

    public static ScimJsonResult Result(User user, string baseUrl, ScimProjection projection, int status = StatusCodes.Status200OK)
    {
        var location = Location(baseUrl, user.Id);
        return new ScimJsonResult(
            writer => Write(writer, user, location, projection),
            status,
            location: status == StatusCodes.Status201Created ? location : null,
            etag: ScimETag.Format(user.Version));
    }

    public static ScimJsonResult ListResult(int totalResults, int startIndex, IReadOnlyList<User> users, string baseUrl, ScimProjection projection) =>
        new(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray(Names.Schemas);
            writer.WriteStringValue(ScimSchemas.ListResponse);
            writer.WriteEndArray();
            writer.WriteNumber("totalResults", totalResults);
            writer.WriteNumber("startIndex", startIndex);
            writer.WriteNumber("itemsPerPage", users.Count);
            writer.WriteStartArray("Resources");
            foreach (var user in users)
            {
                Write(writer, user, Location(baseUrl, user.Id), projection);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    public static void Write(Utf8JsonWriter writer, User user, string location, ScimProjection projection)
    {
        writer.WriteStartObject();
        writer.WriteStartArray(Names.Schemas);
        writer.WriteStringValue(ScimSchemas.User);
        writer.WriteEndArray();
        writer.WriteString(Names.Id, user.Id);
        if (user.ExternalId is not null && projection.Includes(UserAttribute.ExternalId))
        {
            writer.WriteString(Names.ExternalId, user.ExternalId);
        }

        if (projection.Includes(UserAttribute.UserName))
        {
            writer.WriteString(Names.UserName, user.UserName);
        }

        WriteName(writer, user, projection);
        if (user.DisplayName is not null && projection.Includes(UserAttribute.DisplayName))
        {
            writer.WriteString(Names.DisplayName, user.DisplayName);
        }

        WriteElement(writer, Names.Emails, UserAttribute.Emails, user.Email, projection);
        WriteElement(writer, Names.PhoneNumbers, UserAttribute.PhoneNumbers, user.PrimaryPhone, projection);
        if (projection.Includes(UserAttribute.Active))
        {
            writer.WriteBoolean(Names.Active, user.Active);
        }

        writer.WriteStartObject(Names.Meta);
        writer.WriteString(Names.ResourceType, Names.UserResourceType);
        if (projection.Includes(UserAttribute.Meta, "created"))
        {
            WriteTimestamp(writer, Names.Created, user.CreatedAt);
        }

        if (projection.Includes(UserAttribute.Meta, "lastmodified"))
        {
            WriteTimestamp(writer, Names.LastModified, user.UpdatedAt);
        }

        if (projection.Includes(UserAttribute.Meta, "location"))
        {
            writer.WriteString(Names.Location, location);
        }

        if (projection.Includes(UserAttribute.Meta, "version"))
        {
            writer.WriteString(Names.Version, ScimETag.Format(user.Version));
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteName(Utf8JsonWriter writer, User user, ScimProjection projection)
    {
        if (user.GivenName is null && user.FamilyName is null || !projection.Includes(UserAttribute.Name))
        {
            return;
        }

        writer.WriteStartObject(Names.Name);
        if (user.GivenName is not null && projection.Includes(UserAttribute.Name, "givenname"))
        {
            writer.WriteString(Names.GivenName, user.GivenName);
        }

        if (user.FamilyName is not null && projection.Includes(UserAttribute.Name, "familyname"))
        {
            writer.WriteString(Names.FamilyName, user.FamilyName);
        }

        if (projection.Includes(UserAttribute.Name, "formatted"))
        {
            // Derived, the way Entra ID's default mapping builds it: given name, a space, family name.
            writer.WriteString(Names.Formatted, user.GivenName is null ? user.FamilyName : user.FamilyName is null ? user.GivenName : $"{user.GivenName} {user.FamilyName}");
        }

        writer.WriteEndObject();
    }

    private static void WriteElement(Utf8JsonWriter writer, JsonEncodedText name, UserAttribute attribute, string? value, ScimProjection projection)
    {
        if (value is null || !projection.Includes(attribute))
        {
            return;
        }

        writer.WriteStartArray(name);
        writer.WriteStartObject();
        if (projection.Includes(attribute, "value"))
        {
            writer.WriteString(Names.Value, value);
        }

        if (projection.Includes(attribute, "type"))
        {
            writer.WriteString(Names.Type, ScimUserAttributes.ElementType);
        }

        if (projection.Includes(attribute, "primary"))
        {
            writer.WriteBoolean(Names.Primary, true);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    /// <summary>Round-trip ISO 8601 in UTC ("2026-11-29T23:16:16.7495224Z"), formatted without a string.</summary>
    private static void WriteTimestamp(Utf8JsonWriter writer, JsonEncodedText name, DateTime utc)
    {
        Span<char> text = stackalloc char[40];
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).TryFormat(text, out var length, "O", CultureInfo.InvariantCulture);
        writer.WriteString(name, text[..length]);
    }

    /// <summary>Property names encoded once: a page of 100 users writes ~2,000 of them.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Schemas = JsonEncodedText.Encode("schemas");
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText ExternalId = JsonEncodedText.Encode("externalId");
        public static readonly JsonEncodedText UserName = JsonEncodedText.Encode("userName");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
        public static readonly JsonEncodedText GivenName = JsonEncodedText.Encode("givenName");
        public static readonly JsonEncodedText FamilyName = JsonEncodedText.Encode("familyName");
        public static readonly JsonEncodedText Formatted = JsonEncodedText.Encode("formatted");
        public static readonly JsonEncodedText DisplayName = JsonEncodedText.Encode("displayName");
        public static readonly JsonEncodedText Emails = JsonEncodedText.Encode("emails");
        public static readonly JsonEncodedText PhoneNumbers = JsonEncodedText.Encode("phoneNumbers");
        public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Primary = JsonEncodedText.Encode("primary");
        public static readonly JsonEncodedText Active = JsonEncodedText.Encode("active");
        public static readonly JsonEncodedText Meta = JsonEncodedText.Encode("meta");
        public static readonly JsonEncodedText ResourceType = JsonEncodedText.Encode("resourceType");
        public static readonly JsonEncodedText Created = JsonEncodedText.Encode("created");
        public static readonly JsonEncodedText LastModified = JsonEncodedText.Encode("lastModified");
        public static readonly JsonEncodedText Location = JsonEncodedText.Encode("location");
        public static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
        public static readonly JsonEncodedText UserResourceType = JsonEncodedText.Encode("User");
    }
}
