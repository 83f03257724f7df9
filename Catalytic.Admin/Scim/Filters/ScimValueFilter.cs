namespace Catalytic.Admin.Scim.Filters;

/// <summary>
/// Evaluates the filter of a PATCH value path (<c>emails[type eq "work"]</c>) against one element in memory.
/// The element's sub-attributes are keyed by lower-case name; values are strings or booleans. String
/// comparisons ignore case, as the sub-attributes involved (value, type) are not case-exact.
/// </summary>
public static class ScimValueFilter
{
    public static bool Matches(FilterNode filter, IReadOnlyDictionary<string, object?> element) => filter switch
    {
        AndFilter and => Matches(and.Left, element) && Matches(and.Right, element),
        OrFilter or => Matches(or.Left, element) || Matches(or.Right, element),
        NotFilter not => !Matches(not.Inner, element),
        PresentFilter present => Value(present.Attribute, element) is { } value && value is not "",
        CompareFilter compare => Compare(Value(compare.Attribute, element), compare.Operator, compare.Value),
        _ => false,
    };

    /// <summary>Compares a stored text with a filter value, ignoring case; a non-text value never matches.</summary>
    public static bool CompareText(string actual, CompareOperator op, ScimLiteral literal)
    {
        if (literal.Kind is not (LiteralKind.Text or LiteralKind.Number))
        {
            return op == CompareOperator.Ne;
        }

        var expected = literal.Text;
        return op switch
        {
            CompareOperator.Eq => string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase),
            CompareOperator.Ne => !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase),
            CompareOperator.Co => actual.Contains(expected, StringComparison.OrdinalIgnoreCase),
            CompareOperator.Sw => actual.StartsWith(expected, StringComparison.OrdinalIgnoreCase),
            CompareOperator.Ew => actual.EndsWith(expected, StringComparison.OrdinalIgnoreCase),
            CompareOperator.Gt => string.Compare(actual, expected, StringComparison.OrdinalIgnoreCase) > 0,
            CompareOperator.Ge => string.Compare(actual, expected, StringComparison.OrdinalIgnoreCase) >= 0,
            CompareOperator.Lt => string.Compare(actual, expected, StringComparison.OrdinalIgnoreCase) < 0,
            _ => string.Compare(actual, expected, StringComparison.OrdinalIgnoreCase) <= 0,
        };
    }

    private static object? Value(AttributePath path, IReadOnlyDictionary<string, object?> element) =>
        path.Schema is null && path.SubAttribute is null ? element.GetValueOrDefault(path.Name.ToLowerInvariant()) : null;

    private static bool Compare(object? actual, CompareOperator op, ScimLiteral literal)
    {
        if (literal.Kind == LiteralKind.Null)
        {
            return op switch
            {
                CompareOperator.Eq => actual is null,
                CompareOperator.Ne => actual is not null,
                _ => false,
            };
        }

        return actual switch
        {
            null => op == CompareOperator.Ne,
            bool flag => op is CompareOperator.Eq or CompareOperator.Ne && Boolean(literal) is { } expected && (flag == expected) == (op == CompareOperator.Eq),
            string text => CompareText(text, op, literal),
            _ => false,
        };
    }

    private static bool? Boolean(ScimLiteral literal) => literal.Kind switch
    {
        LiteralKind.True => true,
        LiteralKind.False => false,
        LiteralKind.Text when bool.TryParse(literal.Text, out var parsed) => parsed,
        _ => null,
    };
}
