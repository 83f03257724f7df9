using System.Net;
using Catalytic.Admin.Scim.Filters;
using static Catalytic.Admin.Tests.Scim.ScimHttp;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>
/// The RFC 7644 §3.4.2.2 filter grammar over HTTP, against three seeded users, and the parser on its own.
/// Results leave out the team's local admin, whose name starts with "admin".
/// </summary>
public sealed class ScimFilterTests(ScimFilterTests.SeededApp scim) : IClassFixture<ScimFilterTests.SeededApp>
{
    private readonly HttpClient client = scim.Client();

    public sealed class SeededApp : ScimTestApp
    {
        public string AlphaId { get; private set; } = "";

        protected override async Task SeedAsync()
        {
            var client = Client();
            var alpha = await client.PostJsonAsync("Users", """
                {"userName":"alpha","externalId":"ExtA","displayName":"Alice A","name":{"givenName":"Alice","familyName":"Anders"},
                 "emails":[{"value":"alpha@example.com","type":"work","primary":true}],"phoneNumbers":[{"value":"+1 111","type":"work"}]}
                """).ExpectAsync(HttpStatusCode.Created);
            AlphaId = alpha.Id();
            await client.PostJsonAsync("Users", """
                {"userName":"bravo","externalId":"extB","name":{"givenName":"Bob","familyName":"Brown"},
                 "emails":[{"value":"bravo@example.org","type":"work"}],"active":false}
                """).ExpectAsync(HttpStatusCode.Created);
            await client.PostJsonAsync("Users", """{"userName":"charlie","name":{"givenName":"Carla"}}""").ExpectAsync(HttpStatusCode.Created);
        }
    }

    [Theory]
    [InlineData("userName eq \"ALPHA\"", "alpha")]
    [InlineData("userName ne \"alpha\"", "bravo,charlie")]
    [InlineData("userName co \"RAV\"", "bravo")]
    [InlineData("userName sw \"ch\"", "charlie")]
    [InlineData("userName ew \"HA\"", "alpha")]
    [InlineData("userName gt \"bravo\"", "charlie")]
    [InlineData("userName ge \"BRAVO\"", "bravo,charlie")]
    [InlineData("userName lt \"bravo\"", "alpha")]
    [InlineData("userName le \"bravo\"", "alpha,bravo")]
    [InlineData("userName pr", "alpha,bravo,charlie")]
    public async Task Filter_OnUserName_EveryOperatorIgnoresCase(string filter, string expected) => await AssertMatchesAsync(filter, expected);

    [Theory]
    [InlineData("emails pr", "alpha,bravo")]
    [InlineData("emails eq \"ALPHA@example.com\"", "alpha")]
    [InlineData("emails.value ew \".ORG\"", "bravo")]
    [InlineData("emails[type eq \"work\"]", "alpha,bravo")]
    [InlineData("emails[type eq \"home\"]", "")]
    [InlineData("emails[type eq \"work\" and value co \"alpha\"]", "alpha")]
    [InlineData("emails[type eq \"work\" and primary eq true]", "alpha,bravo")]
    [InlineData("emails[type eq \"work\"].value eq \"bravo@example.org\"", "bravo")]
    [InlineData("emails[not (value sw \"alpha\")]", "bravo")]
    [InlineData("emails.type eq \"work\"", "alpha,bravo")]
    [InlineData("phoneNumbers.value eq \"+1 111\"", "alpha")]
    [InlineData("phoneNumbers[type eq \"work\"].value co \"111\"", "alpha")]
    public async Task Filter_OnEmailsAndPhones_UsesValuePathsAndSubAttributes(string filter, string expected) => await AssertMatchesAsync(filter, expected);

    [Theory]
    [InlineData("name.givenName eq \"alice\"", "alpha")]
    [InlineData("name.familyName sw \"b\"", "bravo")]
    [InlineData("name pr", "alpha,bravo,charlie")]
    [InlineData("displayName co \"ICE\"", "alpha")]
    [InlineData("externalId eq \"ExtA\"", "alpha")]
    [InlineData("externalId eq \"exta\"", "")]
    [InlineData("externalId sw \"ext\"", "bravo")]
    [InlineData("externalId ew \"A\"", "alpha")]
    [InlineData("externalId co \"xt\"", "alpha,bravo")]
    [InlineData("externalId pr", "alpha,bravo")]
    [InlineData("externalId eq null", "charlie")]
    [InlineData("active eq false", "bravo")]
    [InlineData("active ne true", "bravo")]
    [InlineData("active eq \"False\"", "bravo")]
    [InlineData("meta.resourceType eq \"User\"", "alpha,bravo,charlie")]
    [InlineData("meta.created gt \"2000-01-01T00:00:00Z\"", "alpha,bravo,charlie")]
    [InlineData("meta.lastModified lt \"2000-01-01T00:00:00Z\"", "")]
    [InlineData("schemas eq \"urn:ietf:params:scim:schemas:core:2.0:User\"", "alpha,bravo,charlie")]
    public async Task Filter_OnOtherStoredAttributes_FollowsTheirCaseRules(string filter, string expected) => await AssertMatchesAsync(filter, expected);

    [Theory]
    [InlineData("userName eq \"alpha\" or userName eq \"bravo\"", "alpha,bravo")]
    [InlineData("userName eq \"alpha\" and active eq true", "alpha")]
    [InlineData("(userName eq \"alpha\" or userName eq \"bravo\") and active eq false", "bravo")]
    [InlineData("userName eq \"alpha\" or userName eq \"bravo\" and active eq false", "alpha,bravo")]
    [InlineData("not (userName eq \"alpha\") and not(userName eq \"bravo\") and userName ne \"x\"", "charlie")]
    [InlineData("UserName EQ \"alpha\" OR USERNAME Eq \"charlie\"", "alpha,charlie")]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"alpha\"", "alpha")]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw \"B\"", "bravo")]
    public async Task Filter_WithLogicGroupingAndUrnPrefixes_CombinesAsTheGrammarSays(string filter, string expected) => await AssertMatchesAsync(filter, expected);

    [Theory]
    [InlineData("title eq \"CTO\"", "")]
    [InlineData("title pr", "")]
    [InlineData("title ne \"CTO\"", "alpha,bravo,charlie")]
    [InlineData("addresses[type eq \"work\"]", "")]
    [InlineData("name.middleName eq \"x\"", "")]
    [InlineData("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1\"", "")]
    [InlineData("userName eq \"alpha@example.com\"", "")]
    [InlineData("userName eq 5", "")]
    public async Task Filter_OnAttributesThatAreNotStored_MatchesNothingInsteadOf400(string filter, string expected) => await AssertMatchesAsync(filter, expected);

    [Fact]
    public async Task Filter_ById_FindsTheUser()
    {
        await AssertMatchesAsync($"id eq \"{scim.AlphaId}\"", "alpha");
        await AssertMatchesAsync($"id eq \"{scim.AlphaId.ToUpperInvariant()}\"", "alpha");
        await AssertMatchesAsync("id eq \"not-a-guid\"", "");
    }

    [Fact]
    public async Task Filter_ByMetaVersion_ComparesTheEntityTag()
    {
        await AssertMatchesAsync("userName eq \"alpha\" and meta.version eq \"W/\\\"1\\\"\"", "alpha");
        await AssertMatchesAsync("userName eq \"alpha\" and meta.version eq \"W/\\\"2\\\"\"", "");
    }

    [Theory]
    [InlineData("ErikaM")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("userName")]
    [InlineData("userName eq")]
    [InlineData("userName eq alpha")]
    [InlineData("userName xx \"alpha\"")]
    [InlineData("userName 1 \"alpha\"")]
    [InlineData("userName eq \"alpha")]
    [InlineData("userName eq \"a\\q\"")]
    [InlineData("(userName eq \"alpha\"")]
    [InlineData("userName eq \"alpha\")")]
    [InlineData("userName eq \"alpha\" and")]
    [InlineData("userName eq \"alpha\" userName eq \"bravo\"")]
    [InlineData("and userName eq \"alpha\"")]
    [InlineData("not userName eq \"alpha\"")]
    [InlineData("emails[type eq \"work\"")]
    [InlineData("emails[value[type eq \"x\"] eq \"y\"]")]
    [InlineData("1abc eq \"x\"")]
    [InlineData("name.given.name eq \"x\"")]
    [InlineData("foo:bar eq \"x\"")]
    [InlineData("active gt true")]
    [InlineData("emails[primary lt false]")]
    [InlineData("meta.created gt \"yesterday\"")]
    [InlineData("meta.created co \"2020\"")]
    [InlineData("userName eq \"a\" pr")]
    [InlineData("userName eq 01")]
    public async Task Filter_Invalid_Returns400InvalidFilter(string filter)
    {
        await client.GetAsync($"Users?filter={Uri.EscapeDataString(filter)}").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
    }

    [Fact]
    public async Task Filter_TooLong_Returns400InvalidFilter()
    {
        var filter = "userName eq \"" + new string('a', ScimFilterParser.MaxLength) + "\"";

        await client.GetAsync($"Users?filter={Uri.EscapeDataString(filter)}").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
    }

    [Fact]
    public async Task Filter_NestedTooDeeply_Returns400InvalidFilter()
    {
        var filter = new string('(', 100) + "userName eq \"a\"" + new string(')', 100);

        await client.GetAsync($"Users?filter={Uri.EscapeDataString(filter)}").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
    }

    [Fact]
    public async Task Filter_WithTooManyComparisons_Returns400InvalidFilter()
    {
        var filter = string.Join(" or ", Enumerable.Range(0, 200).Select(i => $"userName eq \"u{i}\""));

        await client.GetAsync($"Users?filter={Uri.EscapeDataString(filter)}").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");
    }

    [Fact]
    public async Task Filter_WithManyComparisonsWithinTheLimit_IsAnswered()
    {
        var filter = string.Join(" or ", Enumerable.Range(0, ScimFilterParser.MaxExpressions - 1).Select(i => $"userName eq \"u{i}\"")) + " or userName eq \"alpha\"";

        await AssertMatchesAsync(filter, "alpha");
    }

    [Fact]
    public async Task Filter_InvalidDetail_SaysWhereAndWhy()
    {
        var detail = await client.GetAsync($"Users?filter={Uri.EscapeDataString("userName xx \"a\"")}").ExpectErrorAsync(HttpStatusCode.BadRequest, "invalidFilter");

        Assert.Contains("'xx'", detail, StringComparison.Ordinal);
        Assert.Contains("position 10", detail, StringComparison.Ordinal);
    }

    // ---- The parser on its own --------------------------------------------------------------------------

    [Fact]
    public void Parse_AndBindsTighterThanOr()
    {
        var node = ScimFilterParser.Parse("a eq 1 or b eq 2 and c eq 3");

        var or = Assert.IsType<OrFilter>(node);
        Assert.IsType<CompareFilter>(or.Left);
        Assert.IsType<AndFilter>(or.Right);
    }

    [Fact]
    public void Parse_LogicalOperatorsAssociateToTheLeft()
    {
        var node = ScimFilterParser.Parse("a pr and b pr and c pr");

        var outer = Assert.IsType<AndFilter>(node);
        Assert.IsType<AndFilter>(outer.Left);
        Assert.IsType<PresentFilter>(outer.Right);
    }

    [Fact]
    public void Parse_ValuePathWithSubAttributeComparison_KeepsBothParts()
    {
        var node = Assert.IsType<ValuePathFilter>(ScimFilterParser.Parse("emails[type eq \"work\"].value eq \"a@b.c\""));

        Assert.Equal("emails", node.Attribute.Name);
        Assert.Equal(new CompareFilter(new AttributePath(null, "type", null), CompareOperator.Eq, ScimLiteral.OfText("work")), node.Filter);
        Assert.Equal(new CompareFilter(new AttributePath(null, "value", null), CompareOperator.Eq, ScimLiteral.OfText("a@b.c")), node.Then);
    }

    [Fact]
    public void Parse_UrnPrefixedAttribute_SplitsSchemaFromName()
    {
        var node = Assert.IsType<CompareFilter>(ScimFilterParser.Parse("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"x\""));

        Assert.Equal(new AttributePath("urn:ietf:params:scim:schemas:core:2.0:User", "name", "familyName"), node.Attribute);
    }

    [Fact]
    public void Parse_StringEscapes_AreDecoded()
    {
        var node = Assert.IsType<CompareFilter>(ScimFilterParser.Parse("displayName eq \"a\\\"b\\\\c\\u00e9\\n\""));

        Assert.Equal("a\"b\\cé\n", node.Value.Text);
    }

    [Fact]
    public void Parse_LiteralsAndOperators_IgnoreCase()
    {
        var node = Assert.IsType<CompareFilter>(ScimFilterParser.Parse("active EQ TRUE"));

        Assert.Equal(CompareOperator.Eq, node.Operator);
        Assert.Equal(ScimLiteral.True, node.Value);
    }

    [Fact]
    public void ParsePath_WithFilterAndSubAttribute_ReadsAllThreeParts()
    {
        var path = ScimFilterParser.ParsePath("emails[type eq \"work\" and value ew \"]\"].value");

        Assert.Equal("emails", path.Attribute.Name);
        Assert.IsType<AndFilter>(path.Filter);
        Assert.Equal("value", path.SubAttribute);
        Assert.Equal(path, ScimFilterParser.ParsePath(path.ToString()));
    }

    /// <summary>The filter examples of RFC 7644 §3.4.2.2 (Figure 2) and others in the spirit of Okta and Entra ID.</summary>
    [Theory]
    [InlineData("userName eq \"bjensen\"")]
    [InlineData("name.familyName co \"O'Malley\"")]
    [InlineData("userName sw \"J\"")]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"")]
    [InlineData("title pr")]
    [InlineData("meta.lastModified gt \"2011-05-13T04:42:34Z\"")]
    [InlineData("meta.lastModified ge \"2011-05-13T04:42:34Z\"")]
    [InlineData("meta.lastModified lt \"2011-05-13T04:42:34Z\"")]
    [InlineData("meta.lastModified le \"2011-05-13T04:42:34Z\"")]
    [InlineData("title pr and userType eq \"Employee\"")]
    [InlineData("title pr or userType eq \"Intern\"")]
    [InlineData("schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"")]
    [InlineData("userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")")]
    [InlineData("userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")")]
    [InlineData("userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]")]
    [InlineData("emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]")]
    [InlineData("emails[type eq \"work\"].value eq \"a@b.c\" and externalId eq \"x\"")]
    [InlineData("a eq 1.5e3 and (b eq null or (c eq false and d ne true))")]
    public void Print_ThenParse_GivesTheSameTree(string filter)
    {
        var parsed = ScimFilterParser.Parse(filter);

        var printed = parsed.ToString();

        Assert.Equal(parsed, ScimFilterParser.Parse(printed));
        Assert.Equal(printed, ScimFilterParser.Parse(printed).ToString());
    }

    private async Task AssertMatchesAsync(string filter, string expected)
    {
        var body = await client.FilterAsync(filter, "&sortBy=userName&count=1000");
        var names = body.Resources().Select(r => r.Str("userName")!).Where(n => !n.StartsWith("admin", StringComparison.Ordinal));

        Assert.Equal(expected, string.Join(',', names));
    }
}
