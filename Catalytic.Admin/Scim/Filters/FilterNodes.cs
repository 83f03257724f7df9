using System.Globalization;
using System.Text;

namespace Catalytic.Admin.Scim.Filters;

public enum CompareOperator
{
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

public enum LiteralKind
{
    Text,
    Number,
    True,
    False,
    Null,
}

/// <summary>A comparison value (RFC 7644 compValue). Numbers keep their text so that printing is exact.</summary>
public sealed record ScimLiteral(LiteralKind Kind, string Text)
{
    public static readonly ScimLiteral True = new(LiteralKind.True, "true");
    public static readonly ScimLiteral False = new(LiteralKind.False, "false");
    public static readonly ScimLiteral Null = new(LiteralKind.Null, "null");

    public static ScimLiteral OfText(string value) => new(LiteralKind.Text, value);

    public override string ToString() => Kind == LiteralKind.Text ? Quote(Text) : Text;

    /// <summary>A JSON string literal; the tokenizer reads back exactly what this writes.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case < ' ':
                    builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}

/// <summary>
/// <c>[URI ":"] ATTRNAME ["." subAttr]</c>, spelled as the client wrote it; matching is case-insensitive
/// and happens where the path is resolved, not here.
/// </summary>
public sealed record AttributePath(string? Schema, string Name, string? SubAttribute)
{
    public override string ToString() =>
        (Schema is null ? "" : Schema + ":") + Name + (SubAttribute is null ? "" : "." + SubAttribute);
}

/// <summary>A parsed SCIM filter (RFC 7644 §3.4.2.2). <see cref="ToString"/> prints it back in filter syntax.</summary>
public abstract record FilterNode
{
    public abstract override string ToString();
}

public sealed record AndFilter(FilterNode Left, FilterNode Right) : FilterNode
{
    // "and" binds tighter than "or", and both associate to the left; parentheses keep any other shape.
    public override string ToString() =>
        $"{Wrap(Left, Left is OrFilter)} and {Wrap(Right, Right is OrFilter or AndFilter)}";

    internal static string Wrap(FilterNode node, bool parenthesize) => parenthesize ? $"({node})" : node.ToString();
}

public sealed record OrFilter(FilterNode Left, FilterNode Right) : FilterNode
{
    public override string ToString() => $"{Left} or {AndFilter.Wrap(Right, Right is OrFilter)}";
}

public sealed record NotFilter(FilterNode Inner) : FilterNode
{
    public override string ToString() => $"not ({Inner})";
}

public sealed record PresentFilter(AttributePath Attribute) : FilterNode
{
    public override string ToString() => $"{Attribute} pr";
}

public sealed record CompareFilter(AttributePath Attribute, CompareOperator Operator, ScimLiteral Value) : FilterNode
{
    public override string ToString() => $"{Attribute} {Operator.ToString().ToLowerInvariant()} {Value}";
}

/// <summary>
/// <c>emails[type eq "work"]</c>: some element of a multi-valued attribute matches <see cref="Filter"/>.
/// <see cref="Then"/> is the optional test on one of that element's sub-attributes, as in
/// <c>emails[type eq "work"].value eq "x"</c> (what Entra ID sends); its path is relative to the element.
/// </summary>
public sealed record ValuePathFilter(AttributePath Attribute, FilterNode Filter, FilterNode? Then = null) : FilterNode
{
    public override string ToString() => $"{Attribute}[{Filter}]" + (Then is null ? "" : "." + Then);
}
