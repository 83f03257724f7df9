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
            writer.WriteStartArray("schemas");
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
        writer.WriteStartArray("schemas");
        writer.WriteStringValue(ScimSchemas.User);
        writer.WriteEndArray();
        writer.WriteString("id", user.Id);
        if (user.ExternalId is not null && projection.Includes(UserAttribute.ExternalId))
        {
            writer.WriteString("externalId", user.ExternalId);
        }

        if (projection.Includes(UserAttribute.UserName))
        {
            writer.WriteString("userName", user.UserName);
        }

        WriteName(writer, user, projection);
        if (user.DisplayName is not null && projection.Includes(UserAttribute.DisplayName))
        {
            writer.WriteString("displayName", user.DisplayName);
        }

        WriteElement(writer, "emails", UserAttribute.Emails, user.Email, projection);
        WriteElement(writer, "phoneNumbers", UserAttribute.PhoneNumbers, user.PrimaryPhone, projection);
        if (projection.Includes(UserAttribute.Active))
        {
            writer.WriteBoolean("active", user.Active);
        }

        writer.WriteStartObject("meta");
        writer.WriteString("resourceType", "User");
        if (projection.Includes(UserAttribute.Meta, "created"))
        {
            writer.WriteString("created", Timestamp(user.CreatedAt));
        }

        if (projection.Includes(UserAttribute.Meta, "lastmodified"))
        {
            writer.WriteString("lastModified", Timestamp(user.UpdatedAt));
        }

        if (projection.Includes(UserAttribute.Meta, "location"))
        {
            writer.WriteString("location", location);
        }

        if (projection.Includes(UserAttribute.Meta, "version"))
        {
            writer.WriteString("version", ScimETag.Format(user.Version));
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

        writer.WriteStartObject("name");
        if (user.GivenName is not null && projection.Includes(UserAttribute.Name, "givenname"))
        {
            writer.WriteString("givenName", user.GivenName);
        }

        if (user.FamilyName is not null && projection.Includes(UserAttribute.Name, "familyname"))
        {
            writer.WriteString("familyName", user.FamilyName);
        }

        if (projection.Includes(UserAttribute.Name, "formatted"))
        {
            // Derived, the way Entra ID's default mapping builds it: given name, a space, family name.
            writer.WriteString("formatted", string.Join(' ', new[] { user.GivenName, user.FamilyName }.Where(part => part is not null)));
        }

        writer.WriteEndObject();
    }

    private static void WriteElement(Utf8JsonWriter writer, string name, UserAttribute attribute, string? value, ScimProjection projection)
    {
        if (value is null || !projection.Includes(attribute))
        {
            return;
        }

        writer.WriteStartArray(name);
        writer.WriteStartObject();
        if (projection.Includes(attribute, "value"))
        {
            writer.WriteString("value", value);
        }

        if (projection.Includes(attribute, "type"))
        {
            writer.WriteString("type", ScimUserAttributes.ElementType);
        }

        if (projection.Includes(attribute, "primary"))
        {
            writer.WriteBoolean("primary", true);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    private static string Timestamp(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
}
