using System.Net;
using System.Text.Json;
using Catalytic.Admin.Scim;
using Catalytic.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// SCIM requests from a chosen client address. The test server has no network peer, so the request's
/// <see cref="ConnectionInfo.RemoteIpAddress"/> is set on the HttpContext it builds, which is what Kestrel
/// (or the forwarded-headers middleware behind a trusted proxy) sets for a real client.
/// </summary>
public static class ScimSources
{
    public static async Task<ScimAnswer> SendFromAsync(this AppFactory app, IPAddress source, string teamSlug, string? token, string pathAndQuery = "Users")
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var context = await app.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = $"/scim/v2/{teamSlug}/{(query < 0 ? pathAndQuery : pathAndQuery[..query])}";
            c.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(pathAndQuery[query..]);
            if (token is not null)
            {
                c.Request.Headers.Authorization = "Bearer " + token;
            }

            c.Connection.RemoteIpAddress = source;
        }, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(context.Response.Body);
        var body = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        return new ScimAnswer(context.Response.StatusCode, context.Response.Headers.RetryAfter.ToString(), context.Response.ContentType, body);
    }
}

public sealed record ScimAnswer(int Status, string RetryAfter, string? ContentType, string Body)
{
    /// <summary>Asserts a 429 SCIM error with a Retry-After in whole seconds; returns the detail.</summary>
    public string AssertTooManyRequests()
    {
        Assert.True(Status == 429, $"Expected 429 but got {Status}: {Body}");
        Assert.True(int.TryParse(RetryAfter, out var seconds) && seconds > 0, $"Retry-After: '{RetryAfter}'");
        Assert.StartsWith(ScimJson.MediaType, ContentType, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(Body);
        Assert.Equal(ScimError.Schema, json.RootElement.GetProperty("schemas")[0].GetString());
        Assert.Equal("429", json.RootElement.GetProperty("status").GetString());
        Assert.False(json.RootElement.TryGetProperty("scimType", out _));
        return json.RootElement.GetProperty("detail").GetString()!;
    }
}
