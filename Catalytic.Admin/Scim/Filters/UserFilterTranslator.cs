using System.Globalization;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Catalytic.Admin.Users;

namespace Catalytic.Admin.Scim.Filters;

/// <summary>
/// Turns a filter tree into an expression over <see cref="User"/> that EF Core runs in the database.
/// userName and emails.value compare against the normalised (upper-cased) columns, so a lookup agrees with
/// the uniqueness check and uses its index. Attributes this product does not store are absent on every user:
/// <c>eq</c> matches nothing, <c>ne</c> everything. Values are passed as query parameters, never inlined,
/// so EF Core reuses one compiled query per filter shape.
/// </summary>
public static class UserFilterTranslator
{
    private static readonly ParameterExpression User = Expression.Parameter(typeof(User), "u");
    private static readonly Expression True = Expression.Constant(true);
    private static readonly Expression False = Expression.Constant(false);

    private static readonly System.Reflection.MethodInfo ToUpper = typeof(string).GetMethod(nameof(string.ToUpper), Type.EmptyTypes)!;
    private static readonly System.Reflection.MethodInfo Contains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;
    private static readonly System.Reflection.MethodInfo StartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;
    private static readonly System.Reflection.MethodInfo EndsWith = typeof(string).GetMethod(nameof(string.EndsWith), [typeof(string)])!;
    private static readonly System.Reflection.MethodInfo IndexOf = typeof(string).GetMethod(nameof(string.IndexOf), [typeof(string)])!;
    private static readonly System.Reflection.MethodInfo Substring = typeof(string).GetMethod(nameof(string.Substring), [typeof(int)])!;
    private static readonly System.Reflection.MethodInfo CompareStrings = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;

    /// <summary>Throws <see cref="ScimFilterException"/> when a comparison cannot apply (e.g. <c>active gt true</c>).</summary>
    public static Expression<Func<User, bool>> Translate(FilterNode filter) =>
        Expression.Lambda<Func<User, bool>>(Visit(filter, UserAttribute.Unknown), User);

    private enum Match
    {
        Normalized,
        IgnoreCase,
        Exact,
    }

    private abstract record Target;

    private sealed record Absent : Target;

    private sealed record StringColumn(Expression Member, Match Match, bool Nullable) : Target;

    private sealed record BoolColumn(Expression Member) : Target;

    private sealed record DateColumn(Expression Member, string Name) : Target;

    private sealed record IdColumn : Target;

    private sealed record VersionColumn : Target;

    /// <summary>A value this product shows but does not store (emails.type is always "work"), given the element exists.</summary>
    private sealed record Constant(object Value, Expression Exists) : Target;

    /// <summary>A complex attribute named without a sub-attribute: it can be present, but equals no single value.</summary>
    private sealed record Complex(Expression Exists) : Target;

    private static Expression Visit(FilterNode node, UserAttribute element) => node switch
    {
        AndFilter and => AndAlso(Visit(and.Left, element), Visit(and.Right, element)),
        OrFilter or => OrElse(Visit(or.Left, element), Visit(or.Right, element)),
        NotFilter not => Not(Visit(not.Inner, element)),
        PresentFilter present => Present(Resolve(present.Attribute, element)),
        CompareFilter compare => Compare(Resolve(compare.Attribute, element), compare),
        ValuePathFilter valuePath => ValuePath(valuePath),
        _ => throw new ScimFilterException("Unsupported filter."),
    };

    private static Expression ValuePath(ValuePathFilter node)
    {
        var (attribute, sub) = ScimUserAttributes.Resolve(node.Attribute);
        if (sub is not null || attribute is not (UserAttribute.Emails or UserAttribute.PhoneNumbers or UserAttribute.Name))
        {
            // addresses[type eq "work"], roles[...] and the like: not stored, so no user has such an element.
            return False;
        }

        var exists = attribute switch
        {
            UserAttribute.Emails => NotNull(Member(nameof(Users.User.Email))),
            UserAttribute.PhoneNumbers => NotNull(Member(nameof(Users.User.PrimaryPhone))),
            _ => OrElse(NotNull(Member(nameof(Users.User.GivenName))), NotNull(Member(nameof(Users.User.FamilyName)))),
        };
        var matches = AndAlso(exists, Visit(node.Filter, attribute));
        return node.Then is null ? matches : AndAlso(matches, Visit(node.Then, attribute));
    }

    private static Target Resolve(AttributePath path, UserAttribute element)
    {
        if (element != UserAttribute.Unknown)
        {
            // Inside emails[...]: names are the element's sub-attributes.
            return path.Schema is null && path.SubAttribute is null ? SubAttribute(element, path.Name.ToLowerInvariant()) : new Absent();
        }

        var (attribute, sub) = ScimUserAttributes.Resolve(path);
        return attribute switch
        {
            UserAttribute.Id => sub is null ? new IdColumn() : new Absent(),
            UserAttribute.ExternalId => sub is null ? new StringColumn(Member(nameof(Users.User.ExternalId)), Match.Exact, true) : new Absent(),
            UserAttribute.UserName => sub is null ? new StringColumn(Member(nameof(Users.User.NormalizedUserName)), Match.Normalized, false) : new Absent(),
            UserAttribute.DisplayName => sub is null ? new StringColumn(Member(nameof(Users.User.DisplayName)), Match.IgnoreCase, true) : new Absent(),
            UserAttribute.Active => sub is null ? new BoolColumn(Member(nameof(Users.User.Active))) : new Absent(),
            UserAttribute.Schemas => sub is null ? new Constant(ScimSchemas.User, True) : new Absent(),
            UserAttribute.Name when sub is null => new Complex(OrElse(NotNull(Member(nameof(Users.User.GivenName))), NotNull(Member(nameof(Users.User.FamilyName))))),
            UserAttribute.Name or UserAttribute.Emails or UserAttribute.PhoneNumbers => SubAttribute(attribute, sub ?? "value", fromRoot: true),
            UserAttribute.Meta => sub switch
            {
                null => new Complex(True),
                "created" => new DateColumn(Member(nameof(Users.User.CreatedAt)), "meta.created"),
                "lastmodified" => new DateColumn(Member(nameof(Users.User.UpdatedAt)), "meta.lastModified"),
                "resourcetype" => new Constant("User", True),
                "version" => new VersionColumn(),
                _ => new Absent(),
            },
            _ => new Absent(),
        };
    }

    private static Target SubAttribute(UserAttribute parent, string sub, bool fromRoot = false)
    {
        switch (parent)
        {
            case UserAttribute.Name:
                return sub switch
                {
                    "givenname" => new StringColumn(Member(nameof(Users.User.GivenName)), Match.IgnoreCase, true),
                    "familyname" => new StringColumn(Member(nameof(Users.User.FamilyName)), Match.IgnoreCase, true),
                    _ => new Absent(),
                };
            case UserAttribute.Emails or UserAttribute.PhoneNumbers:
                var value = parent == UserAttribute.Emails
                    ? new StringColumn(Member(nameof(Users.User.NormalizedEmail)), Match.Normalized, true)
                    : new StringColumn(Member(nameof(Users.User.PrimaryPhone)), Match.IgnoreCase, true);

                // Outside a value path, "emails.type" is only true when the user has an email at all.
                var exists = fromRoot ? NotNull(value.Member) : True;
                return sub switch
                {
                    "value" => value,
                    "type" => new Constant(ScimUserAttributes.ElementType, exists),
                    "primary" => new Constant(true, exists),
                    _ => new Absent(),
                };
            default:
                return new Absent();
        }
    }

    private static Expression Present(Target target) => target switch
    {
        StringColumn { Nullable: false } => True,
        StringColumn column => AndAlso(NotNull(column.Member), Expression.NotEqual(column.Member, Expression.Constant(""))),
        BoolColumn or DateColumn or IdColumn or VersionColumn => True,
        Constant constant => constant.Exists,
        Complex complex => complex.Exists,
        _ => False,
    };

    private static Expression Compare(Target target, CompareFilter filter)
    {
        var (op, literal) = (filter.Operator, filter.Value);
        if (literal.Kind == LiteralKind.Null)
        {
            // "eq null" asks whether the attribute is unassigned.
            return op switch
            {
                CompareOperator.Eq => Not(Present(target)),
                CompareOperator.Ne => Present(target),
                _ => False,
            };
        }

        return target switch
        {
            StringColumn column => CompareString(column, op, literal),
            BoolColumn column => CompareBool(column.Member, op, literal, filter),
            DateColumn column => CompareDate(column, op, literal),
            IdColumn => CompareId(op, literal),
            VersionColumn => CompareVersion(op, literal),
            Constant constant => CompareConstant(constant, op, literal, filter),
            _ => op == CompareOperator.Ne ? True : False,
        };
    }

    private static Expression CompareString(StringColumn column, CompareOperator op, ScimLiteral literal)
    {
        if (literal.Kind is LiteralKind.True or LiteralKind.False)
        {
            return op == CompareOperator.Ne ? True : False;
        }

        var (member, value) = column.Match switch
        {
            Match.Normalized => (column.Member, UserRules.Normalize(literal.Text)),
            Match.IgnoreCase => ((Expression)Expression.Call(column.Member, ToUpper), literal.Text.ToUpperInvariant()),
            _ => (column.Member, literal.Text),
        };
        var parameter = Parameter(value);
        return op switch
        {
            CompareOperator.Eq => Expression.Equal(member, parameter),
            CompareOperator.Ne => Expression.NotEqual(member, parameter),
            CompareOperator.Co => Expression.Call(member, Contains, parameter),
            // LIKE ignores ASCII case on SQLite, which is right for the upper-cased columns but not for externalId.
            CompareOperator.Sw when column.Match == Match.Exact => Expression.Equal(Expression.Call(member, IndexOf, parameter), Expression.Constant(0)),
            CompareOperator.Ew when column.Match == Match.Exact => AndAlso(
                Expression.GreaterThanOrEqual(Expression.Property(member, nameof(string.Length)), Expression.Property(parameter, nameof(string.Length))),
                Expression.Equal(
                    Expression.Call(member, Substring, Expression.Subtract(Expression.Property(member, nameof(string.Length)), Expression.Property(parameter, nameof(string.Length)))),
                    parameter)),
            CompareOperator.Sw => Expression.Call(member, StartsWith, parameter),
            CompareOperator.Ew => Expression.Call(member, EndsWith, parameter),
            _ => Order(Expression.Call(CompareStrings, member, parameter), Expression.Constant(0), op),
        };
    }

    private static Expression CompareBool(Expression member, CompareOperator op, ScimLiteral literal, CompareFilter filter)
    {
        if (op is not (CompareOperator.Eq or CompareOperator.Ne))
        {
            throw new ScimFilterException($"'{filter.Attribute}' is a boolean: only eq, ne and pr apply to it, not {op.ToString().ToLowerInvariant()}.");
        }

        if (BooleanValue(literal) is not { } value)
        {
            return op == CompareOperator.Ne ? True : False;
        }

        var constant = Parameter(value);
        return op == CompareOperator.Eq ? Expression.Equal(member, constant) : Expression.NotEqual(member, constant);
    }

    private static Expression CompareDate(DateColumn column, CompareOperator op, ScimLiteral literal)
    {
        if (op is CompareOperator.Co or CompareOperator.Sw or CompareOperator.Ew)
        {
            throw new ScimFilterException($"'{column.Name}' is a dateTime: co, sw and ew apply only to strings.");
        }

        if (literal.Kind != LiteralKind.Text
            || !DateTimeOffset.TryParse(literal.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            throw new ScimFilterException($"'{literal}' is not a dateTime; write it like \"2025-01-31T08:00:00Z\".");
        }

        return Order(column.Member, Parameter(instant.UtcDateTime), op);
    }

    private static Expression CompareId(CompareOperator op, ScimLiteral literal)
    {
        var matches = op is CompareOperator.Eq or CompareOperator.Ne && literal.Kind == LiteralKind.Text && Guid.TryParse(literal.Text, out _);
        if (!matches)
        {
            return op == CompareOperator.Ne ? True : False;
        }

        var id = Expression.Equal(Member(nameof(Users.User.Id)), Parameter(Guid.Parse(literal.Text)));
        return op == CompareOperator.Eq ? id : Not(id);
    }

    private static Expression CompareVersion(CompareOperator op, ScimLiteral literal)
    {
        if (op is CompareOperator.Co or CompareOperator.Sw or CompareOperator.Ew || ScimETag.Parse(literal.Text) is not { } version)
        {
            return op == CompareOperator.Ne ? True : False;
        }

        return Order(Member(nameof(Users.User.Version)), Parameter(version), op);
    }

    private static Expression CompareConstant(Constant constant, CompareOperator op, ScimLiteral literal, CompareFilter filter)
    {
        bool holds;
        if (constant.Value is bool flag)
        {
            if (op is not (CompareOperator.Eq or CompareOperator.Ne))
            {
                throw new ScimFilterException($"'{filter.Attribute}' is a boolean: only eq, ne and pr apply to it, not {op.ToString().ToLowerInvariant()}.");
            }

            holds = BooleanValue(literal) is { } value && (value == flag) == (op == CompareOperator.Eq);
        }
        else
        {
            holds = ScimValueFilter.CompareText((string)constant.Value, op, literal);
        }

        // An absent element "is not equal" to anything, as for any unassigned attribute.
        return (holds, op) switch
        {
            (true, _) => constant.Exists,
            (false, CompareOperator.Ne) => Not(constant.Exists),
            _ => False,
        };
    }

    private static bool? BooleanValue(ScimLiteral literal) => literal.Kind switch
    {
        LiteralKind.True => true,
        LiteralKind.False => false,
        LiteralKind.Text when bool.TryParse(literal.Text, out var parsed) => parsed,
        _ => null,
    };

    private static Expression Order(Expression left, Expression right, CompareOperator op) => op switch
    {
        CompareOperator.Eq => Expression.Equal(left, right),
        CompareOperator.Ne => Expression.NotEqual(left, right),
        CompareOperator.Gt => Expression.GreaterThan(left, right),
        CompareOperator.Ge => Expression.GreaterThanOrEqual(left, right),
        CompareOperator.Lt => Expression.LessThan(left, right),
        CompareOperator.Le => Expression.LessThanOrEqual(left, right),
        _ => False,
    };

    private static MemberExpression Member(string name) => Expression.Property(User, name);

    private static BinaryExpression NotNull(Expression member) => Expression.NotEqual(member, Expression.Constant(null, member.Type));

    /// <summary>A captured value, which EF Core sends as a parameter instead of a literal.</summary>
    private static MemberExpression Parameter<T>(T value) => Expression.Field(Expression.Constant(new StrongBox<T>(value)), nameof(StrongBox<T>.Value));

    private static Expression AndAlso(Expression left, Expression right) =>
        left == False || right == False ? False : left == True ? right : right == True ? left : Expression.AndAlso(left, right);

    private static Expression OrElse(Expression left, Expression right) =>
        left == True || right == True ? True : left == False ? right : right == False ? left : Expression.OrElse(left, right);

    private static Expression Not(Expression inner) => inner == True ? False : inner == False ? True : Expression.Not(inner);
}
