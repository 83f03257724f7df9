using System.Linq.Expressions;
using System.Text.Json;
using Catalytic.Admin.Provisioning;
using Catalytic.Admin.Scim.Filters;
using Catalytic.Admin.Scim.Patch;
using Catalytic.Admin.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Catalytic.Admin.Scim;

/// <summary>
/// <c>/Users</c> (RFC 7644 §3): list and filter, create, read, replace, patch, delete. Every rule about users is
/// the <see cref="UserDirectory"/>'s; these handlers translate between SCIM and the directory, and note what
/// happened for the team's provisioning activity.
/// </summary>
public static class ScimUserEndpoints
{
    public const int DefaultPageSize = 100;

    public static RouteGroupBuilder MapScimUsers(this RouteGroupBuilder group)
    {
        group.MapScimGet("/Users", ListUsers);
        group.MapPost("/Users", CreateUser);
        group.MapScimGet("/Users/{id}", GetUser);
        group.MapPut("/Users/{id}", ReplaceUser);
        group.MapPatch("/Users/{id}", PatchUser);
        group.MapDelete("/Users/{id}", DeleteUser);
        group.MapMethods("/Users", [HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], ScimEndpoints.MethodNotAllowed("GET, HEAD, POST"));
        group.MapMethods("/Users/{id}", [HttpMethods.Post], ScimEndpoints.MethodNotAllowed("GET, HEAD, PUT, PATCH, DELETE"));
        return group;
    }

    public static async Task<Results<ScimJsonResult, ScimErrorResult>> ListUsers(
        HttpContext context, string team, UserDirectory users, IOptions<AppOptions> options, CancellationToken ct)
    {
        var query = context.Request.Query;
        var notes = ProvisioningContext.Get(context);
        var hasFilter = query.ContainsKey("filter");
        notes?.Operation = hasFilter ? "lookup" : "list";

        if (!ScimRequest.TryReadInteger(query, "startIndex", 1, out var startIndex, out var error)
            || !ScimRequest.TryReadInteger(query, "count", DefaultPageSize, out var count, out error))
        {
            return error!;
        }

        // RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0.
        startIndex = Math.Max(1, startIndex);
        count = Math.Clamp(count, 0, Math.Max(1, options.Value.Scim.MaxPageSize));

        var sortOrder = query["sortOrder"].ToString();
        if (sortOrder.Length > 0 && !sortOrder.Equals("ascending", StringComparison.OrdinalIgnoreCase) && !sortOrder.Equals("descending", StringComparison.OrdinalIgnoreCase))
        {
            return new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidValue, $"sortOrder must be 'ascending' or 'descending', not '{ScimRequest.Shorten(sortOrder)}'.");
        }

        Expression<Func<User, bool>>? filter = null;
        if (hasFilter)
        {
            var text = query["filter"].ToString();
            if (!ScimFilterParser.TryParse(text, out var node, out var problem))
            {
                return InvalidFilter(text, problem);
            }

            if (AsUserNameLookup(node) is { } userName && startIndex == 1 && count > 0)
            {
                // What every IdP sends before a create and to associate an account: at most one match, by the
                // unique index, through the directory's compiled query.
                var found = await users.FindByUserNameForIdpAsync(ScimRequest.TeamId(context), userName, ct);
                if (found is not null)
                {
                    notes?.Affected(found.Id, found.UserName);
                }

                return ScimUserResource.ListResult(found is null ? 0 : 1, startIndex, found is null ? [] : [found], ScimLocation.Base(context, team), ScimProjection.From(query));
            }

            try
            {
                filter = UserFilterTranslator.Translate(node);
            }
            catch (ScimFilterException e)
            {
                return InvalidFilter(text, e.Message);
            }
        }

        var page = await users.ListForIdpAsync(
            ScimRequest.TeamId(context),
            filter,
            startIndex - 1,
            count,
            SortBy(query["sortBy"].ToString()),
            sortOrder.Equals("descending", StringComparison.OrdinalIgnoreCase),
            ct);
        if (hasFilter && page.Users.Count == 1)
        {
            notes?.Affected(page.Users[0].Id, page.Users[0].UserName);
        }

        return ScimUserResource.ListResult(page.TotalResults, startIndex, page.Users, ScimLocation.Base(context, team), ScimProjection.From(query));
    }

    /// <summary>The value of a plain <c>userName eq "…"</c> filter; null for any other filter.</summary>
    private static string? AsUserNameLookup(FilterNode node) =>
        node is CompareFilter { Operator: CompareOperator.Eq, Value.Kind: LiteralKind.Text } compare
        && ScimUserAttributes.Resolve(compare.Attribute) is (UserAttribute.UserName, null)
            ? compare.Value.Text
            : null;

    public static async Task<Results<ScimJsonResult, ScimErrorResult>> CreateUser(
        HttpContext context, string team, UserDirectory users, IOptions<AppOptions> options, CancellationToken ct)
    {
        var notes = ProvisioningContext.Get(context);
        notes?.Operation = "create";
        var (document, error) = await ReadResourceAsync(context, options);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            var (profile, invalid) = ScimUserBody.ToProfile(document.RootElement, active: true);
            if (profile is null)
            {
                return invalid!.ToScim();
            }

            notes?.Affected(null, profile.UserName);
            var (user, refused) = await users.CreateAsync(ScimRequest.TeamId(context), profile, UserSource.Idp, notes?.RecordWithWrite(StatusCodes.Status201Created), ct);
            if (user is null)
            {
                return refused!.ToScim();
            }

            return ScimUserResource.Result(user, ScimLocation.Base(context, team), ScimProjection.From(context.Request.Query), StatusCodes.Status201Created);
        }
    }

    public static async Task<Results<ScimJsonResult, ScimErrorResult>> GetUser(HttpContext context, string team, string id, UserDirectory users, CancellationToken ct)
    {
        ProvisioningContext.Get(context)?.Operation = "get";
        var user = Guid.TryParse(id, out var userId) ? await users.FindForIdpAsync(ScimRequest.TeamId(context), userId, ct) : null;
        if (user is null)
        {
            return NotFound(id);
        }

        ProvisioningContext.Get(context)?.Affected(user.Id, user.UserName);
        return ScimUserResource.Result(user, ScimLocation.Base(context, team), ScimProjection.From(context.Request.Query));
    }

    /// <summary>PUT replaces the resource: attributes left out are cleared, except <c>active</c>, which keeps its value.</summary>
    public static async Task<Results<ScimJsonResult, ScimErrorResult>> ReplaceUser(
        HttpContext context, string team, string id, UserDirectory users, IOptions<AppOptions> options, CancellationToken ct)
    {
        ProvisioningContext.Get(context)?.Operation = "replace";
        if (!Guid.TryParse(id, out var userId))
        {
            return NotFound(id);
        }

        var (document, error) = await ReadResourceAsync(context, options);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            var body = document.RootElement;
            return await UpdateAsync(context, team, users, userId, "replace", current => ScimUserBody.ToProfile(body, current.Active), ct);
        }
    }

    public static async Task<Results<ScimJsonResult, ScimErrorResult>> PatchUser(
        HttpContext context, string team, string id, UserDirectory users, IOptions<AppOptions> options, CancellationToken ct)
    {
        ProvisioningContext.Get(context)?.Operation = "update";
        if (!Guid.TryParse(id, out var userId))
        {
            return NotFound(id);
        }

        var (document, error) = await ScimRequest.ReadJsonAsync(context, options.Value.Scim.MaxRequestBodyBytes);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            if (!ScimPatchRequest.TryParse(document.RootElement, out var operations, out var invalid))
            {
                return new ScimErrorResult(StatusCodes.Status400BadRequest, invalid.ScimType, invalid.Message);
            }

            return await UpdateAsync(context, team, users, userId, "update", current => ScimUserPatch.Apply(current, operations), ct);
        }
    }

    public static async Task<Results<NoContent, ScimErrorResult>> DeleteUser(HttpContext context, string id, UserDirectory users, CancellationToken ct)
    {
        var notes = ProvisioningContext.Get(context);
        notes?.Operation = "delete";
        if (!Guid.TryParse(id, out var userId))
        {
            return NotFound(id);
        }

        notes?.Affected(userId, null);
        var error = await users.DeleteAsync(
            ScimRequest.TeamId(context), userId, ScimETag.ExpectedVersion(context.Request), UserSource.Idp, notes?.RecordWithWrite(StatusCodes.Status204NoContent), ct);
        return error is null ? TypedResults.NoContent() : error.ToScim();
    }

    private static async Task<Results<ScimJsonResult, ScimErrorResult>> UpdateAsync(
        HttpContext context,
        string team,
        UserDirectory users,
        Guid userId,
        string operation,
        Func<UserProfile, UserResult<UserProfile>> change,
        CancellationToken ct)
    {
        var notes = ProvisioningContext.Get(context);
        notes?.Affected(userId, null);
        var updated = await users.UpdateAsync(
            ScimRequest.TeamId(context),
            userId,
            current =>
            {
                // Named before the save: a successful write commits its entry with the user.
                var changed = change(current);
                notes?.Operation = (current.Active, changed.Value?.Active) switch
                {
                    (true, false) => "deactivate",
                    (false, true) => "reactivate",
                    _ => operation,
                };
                return changed;
            },
            UserSource.Idp,
            ScimETag.ExpectedVersion(context.Request),
            notes?.RecordWithWrite(StatusCodes.Status200OK),
            ct);
        if (updated.Error is not null)
        {
            return updated.Error.ToScim();
        }

        var user = updated.User!;
        return ScimUserResource.Result(user, ScimLocation.Base(context, team), ScimProjection.From(context.Request.Query));
    }

    private static async Task<(JsonDocument? Document, ScimErrorResult? Error)> ReadResourceAsync(HttpContext context, IOptions<AppOptions> options)
    {
        var (document, error) = await ScimRequest.ReadJsonAsync(context, options.Value.Scim.MaxRequestBodyBytes);
        if (document is not null && document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, new ScimErrorResult(StatusCodes.Status400BadRequest, ScimErrorType.InvalidSyntax, "The request body must be a JSON object: a SCIM User resource."));
        }

        return (document, error);
    }

    /// <summary>sortBy names an attribute; one we cannot sort by leaves the default order (creation).</summary>
    private static UserSort SortBy(string sortBy)
    {
        var (attribute, sub) = ScimUserAttributes.ParseList(sortBy).FirstOrDefault();
        return (attribute, sub) switch
        {
            (UserAttribute.UserName, null) => UserSort.UserName,
            (UserAttribute.Emails, null or "value") => UserSort.Email,
            (UserAttribute.DisplayName, null) => UserSort.DisplayName,
            (UserAttribute.Name, "givenname") => UserSort.GivenName,
            (UserAttribute.Name, "familyname") => UserSort.FamilyName,
            (UserAttribute.ExternalId, null) => UserSort.ExternalId,
            (UserAttribute.Meta, "lastmodified") => UserSort.LastModified,
            _ => UserSort.Created,
        };
    }

    private static ScimErrorResult InvalidFilter(string filter, string problem) => new(
        StatusCodes.Status400BadRequest,
        ScimErrorType.InvalidFilter,
        $"The filter '{ScimRequest.Shorten(filter)}' is not valid: {problem}");

    private static ScimErrorResult NotFound(string id) =>
        new(StatusCodes.Status404NotFound, null, $"User '{ScimRequest.Shorten(id)}' does not exist in this team.");
}
