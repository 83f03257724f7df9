using System.Text;
using System.Text.Json;
using Catalytic.Admin.Scim.Filters;
using FsCheck;
using FsCheck.Fluent;

namespace Catalytic.Admin.Tests.Scim;

/// <summary>Text that may or may not be a valid filter: generated filters, mangled at random.</summary>
public sealed record FilterText(string Value)
{
    public override string ToString() => Value;
}

/// <summary>A PATCH request body as JSON text (not always valid JSON, not always a valid PatchOp).</summary>
public sealed record PatchBody(string Json)
{
    public override string ToString() => Json;
}

/// <summary>A POST body as JSON text, with valid, unstored, mistyped and unknown attributes.</summary>
public sealed record UserBody(string Json)
{
    public override string ToString() => Json;
}

/// <summary>Generators for the property tests of the filter parser and PATCH.</summary>
public static class ScimGenerators
{
    private static readonly string[] Names = ["userName", "UserName", "emails", "phoneNumbers", "name", "displayName", "externalId", "active", "meta", "id", "title", "x-y_z1", "$ref", "type", "value", "primary"];
    private static readonly string[] SubNames = ["value", "type", "primary", "givenName", "familyName", "formatted", "created", "lastModified", "version", "display", "Value"];
    private static readonly string[] Schemas = ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:x"];
    private static readonly char[] Noise = ['(', ')', '[', ']', '"', '\\', ' ', '.', ':', 'a', 'Z', '0', '9', '-', '_', '$', 'é', '\u0001', '\t', '@', ',', '\'', '{', '}'];
    private static readonly string[] Words = [" and ", " or ", "not ", " eq ", " pr", " co ", " gt ", " EQ ", "true", "null", "1e5", "-0.5", "\"x\"", "[", "]", "(", ")", ".value", "urn:"];

    public static Arbitrary<FilterNode> Filters() => Arb.From(Filter());

    public static Arbitrary<FilterText> FilterTexts() => Arb.From(FilterTextGen());

    public static Arbitrary<PatchPath> PatchPaths() => Arb.From(PatchPathGen());

    public static Arbitrary<PatchBody> PatchBodies() => Arb.From(PatchBodyGen());

    public static Arbitrary<UserBody> UserBodies() => Arb.From(UserBodyGen());

    public static Gen<FilterNode> Filter() => Gen.Sized(size => FilterOfSize(Math.Min(size, 12), allowValuePath: true));

    public static Gen<FilterText> FilterTextGen() => Gen.Frequency(
        (3, Filter().SelectMany(filter => Mutate(filter.ToString())).Select(text => new FilterText(text))),
        (1, Filter().Select(filter => new FilterText(filter.ToString()))),
        (1, Gen.ArrayOf(Gen.Elements(Words)).Select(words => new FilterText(string.Concat(words)))),
        (1, Gen.ArrayOf(Gen.Elements(Noise)).Select(chars => new FilterText(new string(chars)))));

    public static Gen<PatchPath> PatchPathGen() =>
        from attribute in AttributePathGen()
        from filter in Gen.OneOf(Gen.Constant<FilterNode?>(null), FilterOfSize(3, allowValuePath: false).Select(f => (FilterNode?)f))
        from sub in Gen.OneOf(Gen.Constant<string?>(null), Gen.Elements(SubNames).Select(s => (string?)s))
        select filter is null
            ? new PatchPath(attribute, null, null)
            : new PatchPath(attribute with { SubAttribute = null }, filter, sub);

    public static Gen<PatchBody> PatchBodyGen() => Gen.Frequency(
        (4, PatchJson()),
        (2, PatchJson().SelectMany(Mutate)),
        (1, JsonValue(2)))
        .Select(json => new PatchBody(json));

    public static Gen<UserBody> UserBodyGen() => Gen.Frequency(
        (4, AttributesObject(2)),
        (1, AttributesObject(2).SelectMany(Mutate)),
        (1, JsonValue(2)))
        .Select(json => new UserBody(json));

    private static Gen<FilterNode> FilterOfSize(int size, bool allowValuePath)
    {
        var leaf = Gen.OneOf(Comparison(AttributePathGen()), AttributePathGen().Select(path => (FilterNode)new PresentFilter(path)));
        if (size <= 1)
        {
            return leaf;
        }

        var smaller = FilterOfSize(size / 2, allowValuePath);
        var options = new List<(int, Gen<FilterNode>)>
        {
            (3, leaf),
            (2, smaller.SelectMany(left => smaller.Select(right => (FilterNode)new AndFilter(left, right)))),
            (2, smaller.SelectMany(left => smaller.Select(right => (FilterNode)new OrFilter(left, right)))),
            (1, smaller.Select(inner => (FilterNode)new NotFilter(inner))),
        };
        if (allowValuePath)
        {
            var relative = Gen.Elements(SubNames).Select(name => new AttributePath(null, name, null));
            var then = Gen.OneOf(
                Gen.Constant<FilterNode?>(null),
                Comparison(relative).Select(c => (FilterNode?)c),
                relative.Select(p => (FilterNode?)new PresentFilter(p)));
            options.Add((1,
                from attribute in AttributePathGen()
                from inner in FilterOfSize(size / 2, allowValuePath: false)
                from next in then
                select (FilterNode)new ValuePathFilter(attribute with { SubAttribute = null }, inner, next)));
        }

        return Gen.Frequency(options.ToArray());
    }

    private static Gen<FilterNode> Comparison(Gen<AttributePath> paths) =>
        from path in paths
        from op in Gen.Elements(Enum.GetValues<CompareOperator>())
        from value in Literal()
        select (FilterNode)new CompareFilter(path, op, value);

    private static Gen<AttributePath> AttributePathGen() =>
        from schema in Gen.Frequency((4, Gen.Constant<string?>(null)), (1, Gen.Elements(Schemas).Select(s => (string?)s)))
        from name in Gen.Frequency((4, Gen.Elements(Names)), (1, RandomName()))
        from sub in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Elements(SubNames).Select(s => (string?)s)))
        select new AttributePath(schema, name, sub);

    private static Gen<string> RandomName() =>
        from first in Gen.Elements("abcXYZ".ToCharArray())
        from rest in Gen.ArrayOf(Gen.Elements("az09_-Q".ToCharArray()))
        select first + new string(rest);

    private static Gen<ScimLiteral> Literal() => Gen.OneOf(
        AnyText().Select(ScimLiteral.OfText),
        Gen.Elements("0", "-1", "42", "3.14", "1e10", "-2.5E-3", "10").Select(n => new ScimLiteral(LiteralKind.Number, n)),
        Gen.Elements(ScimLiteral.True, ScimLiteral.False, ScimLiteral.Null));

    private static Gen<string> AnyText() => Gen.OneOf(
        Gen.Elements("work", "alpha", "a@b.c", "W/\"1\"", "2024-01-01T00:00:00Z", "", "urn:x:y", "O'Malley", "é", "  "),
        Gen.ArrayOf(Gen.Elements(Noise)).Resize(12).Select(chars => new string(chars)));

    /// <summary>Deletes, inserts, duplicates or swaps a few characters.</summary>
    private static Gen<string> Mutate(string text) =>
        Gen.ArrayOf(Gen.Choose(0, 3).SelectMany(kind => Gen.Choose(0, Math.Max(0, text.Length)).SelectMany(at => Gen.Elements(Noise).Select(c => (kind, at, c)))))
            .Select(edits =>
            {
                var builder = new StringBuilder(text);
                foreach (var (kind, at, c) in edits.Take(4))
                {
                    var position = Math.Min(at, builder.Length);
                    switch (kind)
                    {
                        case 0 when position < builder.Length:
                            builder.Remove(position, 1);
                            break;
                        case 1:
                            builder.Insert(position, c);
                            break;
                        case 2 when position < builder.Length:
                            builder.Insert(position, builder.ToString(position, Math.Min(5, builder.Length - position)));
                            break;
                        case 3 when position + 1 < builder.Length:
                            (builder[position], builder[position + 1]) = (builder[position + 1], builder[position]);
                            break;
                    }
                }

                return builder.ToString();
            });

    private static Gen<string> PatchJson() =>
        from operations in Gen.Frequency(
            (8, Gen.NonEmptyListOf(Operation()).Resize(4).Select(ops => "[" + string.Join(",", ops) + "]")),
            (1, JsonValue(1)))
        from operationsKey in Gen.Frequency((8, Gen.Elements("Operations", "operations", "OPERATIONS")), (1, Gen.Constant("Ops")))
        select $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"{{operationsKey}}":{{operations}}}""";

    private static Gen<string> Operation() =>
        from op in Gen.Frequency(
            (20, Gen.Elements("add", "replace", "remove", "Add", "Replace", "Remove", "REPLACE").Select(Quote)),
            (1, Gen.Elements("\"move\"", "\"\"", "5", "null", "[]")))
        from path in Gen.Frequency(
            (3, Gen.Constant<string?>(null)),
            (4, Gen.Elements("userName", "displayName", "active", "name.givenName", "emails", "emails[type eq \"work\"].value", "phoneNumbers[type eq \"mobile\"].value", "title", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").Select(p => (string?)Quote(p))),
            (4, PatchPathGen().Select(p => (string?)Quote(p.ToString()))),
            (1, PatchPathGen().SelectMany(p => Mutate(p.ToString())).Select(p => (string?)Quote(p))),
            (1, Gen.Elements<string?>("null", "1", "[\"displayName\"]", "\"\"")))
        from value in Gen.Frequency(
            (1, Gen.Constant<string?>(null)),
            (3, JsonValue(2).Select(v => (string?)v)),
            (3, Gen.Elements("\"Erika\"", "\"False\"", "true", "\"erika2\"", "\"e@example.com\"", "[{\"value\":\"x@example.com\",\"primary\":true}]").Select(v => (string?)v)),
            (4, AttributesObject(2).Select(v => (string?)v)))
        select "{\"op\":" + op + (path is null ? "" : ",\"path\":" + path) + (value is null ? "" : ",\"value\":" + value) + "}";

    /// <summary>An object of attributes as IdPs send them: known names in any case, dotted and URN keys, unknown ones.</summary>
    private static Gen<string> AttributesObject(int depth) =>
        Gen.ArrayOf(
            from key in Gen.Frequency(
                (4, Gen.Elements("userName", "USERNAME", "displayName", "externalId", "active", "name", "name.givenName", "emails", "phoneNumbers",
                    "emails[type eq \"work\"].value", "phoneNumbers[type eq \"mobile\"].value", "password", "title", "id", "meta", "schemas",
                    "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:User")),
                (1, AnyText()))
            from value in Gen.Frequency(
                (3, JsonValue(depth)),
                (2, Gen.Elements("\"alpha1\"", "\"False\"", "true", "\"a@b.c\"", "[{\"value\":\"x@y.z\",\"type\":\"work\",\"primary\":\"True\"}]", "{\"givenName\":\"E\",\"familyName\":null}")))
            select Quote(key) + ":" + value)
        .Select(members => "{" + string.Join(",", members) + "}");

    private static Gen<string> JsonValue(int depth)
    {
        var scalar = Gen.OneOf(
            AnyText().Select(Quote),
            Gen.Elements("0", "-1.5", "1e400", "true", "false", "null", "12345678901234567890"));
        if (depth <= 0)
        {
            return scalar;
        }

        return Gen.Frequency(
            (3, scalar),
            (1, Gen.ArrayOf(JsonValue(depth - 1)).Resize(4).Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.ArrayOf(AnyText().SelectMany(key => JsonValue(depth - 1).Select(v => Quote(key) + ":" + v))).Resize(4)
                .Select(members => "{" + string.Join(",", members) + "}")));
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
