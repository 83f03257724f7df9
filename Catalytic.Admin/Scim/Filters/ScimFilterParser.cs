using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Catalytic.Admin.Scim.Filters;

/// <summary>A filter or PATCH path that does not follow the SCIM grammar; the message says where and why.</summary>
public sealed class ScimFilterException : Exception
{
    public ScimFilterException()
    {
    }

    public ScimFilterException(string message)
        : base(message)
    {
    }

    public ScimFilterException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A PATCH path (RFC 7644 §3.5.2): <c>attrPath</c>, or <c>attrPath[valFilter]</c> optionally followed by <c>.subAttr</c>.</summary>
public sealed record PatchPath(AttributePath Attribute, FilterNode? Filter = null, string? SubAttribute = null)
{
    public override string ToString() =>
        Attribute + (Filter is null ? "" : $"[{Filter}]") + (SubAttribute is null ? "" : "." + SubAttribute);
}

/// <summary>
/// Recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar: precedence not &gt; and &gt; or,
/// parentheses, value paths. Keywords and operators are case-insensitive. It throws only
/// <see cref="ScimFilterException"/>, and bounds length, nesting and size so no input can exhaust the stack
/// or produce a query the database refuses.
/// </summary>
public static partial class ScimFilterParser
{
    public const int MaxLength = 8192;
    public const int MaxDepth = 32;
    public const int MaxExpressions = 64;

    public static FilterNode Parse(string filter)
    {
        var parser = Start(filter, "filter");
        if (parser.Peek.Kind == TokenKind.End)
        {
            throw new ScimFilterException("The filter is empty. Example of a valid filter: userName eq \"ErikaM\".");
        }

        var node = parser.ParseOr();
        parser.ExpectEnd();
        return node;
    }

    public static bool TryParse(string filter, [NotNullWhen(true)] out FilterNode? node, [NotNullWhen(false)] out string? error)
    {
        try
        {
            node = Parse(filter);
            error = null;
            return true;
        }
        catch (ScimFilterException e)
        {
            node = null;
            error = e.Message;
            return false;
        }
    }

    public static PatchPath ParsePath(string path)
    {
        var parser = Start(path, "path");
        var attribute = Parser.ParseAttributePath(parser.ExpectWord("an attribute name"));
        FilterNode? filter = null;
        string? subAttribute = null;
        if (parser.Peek.Kind == TokenKind.LeftBracket)
        {
            filter = parser.ParseValueFilter();
            if (parser.Peek is { Kind: TokenKind.Word } next && next.Text.StartsWith('.'))
            {
                parser.Advance();
                subAttribute = ValidName(next.Text[1..], next.Position + 1);
            }
        }

        parser.ExpectEnd();
        return new PatchPath(attribute, filter, subAttribute);
    }

    public static AttributePath ParseAttributePath(string text)
    {
        var parser = Start(text, "attribute");
        var path = Parser.ParseAttributePath(parser.ExpectWord("an attribute name"));
        parser.ExpectEnd();
        return path;
    }

    private static Parser Start(string text, string what)
    {
        if (text.Length > MaxLength)
        {
            throw new ScimFilterException($"The {what} is too long: at most {MaxLength} characters are accepted.");
        }

        return new Parser(ScimFilterTokenizer.Tokenize(text));
    }

    private static string ValidName(string name, int position)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new ScimFilterException(name.Length == 0
                ? $"An attribute name is missing at position {position + 1}."
                : $"'{name}' at position {position + 1} is not a valid attribute name (letters, digits, '-' and '_', starting with a letter).");
        }

        return name;
    }

    [GeneratedRegex("^(?:[A-Za-z][A-Za-z0-9_-]*|\\$ref)$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();

    private sealed class Parser(List<Token> tokens)
    {
        private int index;
        private int depth;
        private int expressions;
        private bool inValueFilter;

        public Token Peek => tokens[index];

        public void Advance() => index++;

        public FilterNode ParseOr()
        {
            var left = ParseAnd();
            while (IsKeyword(Peek, "or"))
            {
                Advance();
                left = new OrFilter(left, ParseAnd());
            }

            return left;
        }

        private FilterNode ParseAnd()
        {
            var left = ParseUnary();
            while (IsKeyword(Peek, "and"))
            {
                Advance();
                left = new AndFilter(left, ParseUnary());
            }

            return left;
        }

        private FilterNode ParseUnary()
        {
            if (IsKeyword(Peek, "not") && tokens[index + 1].Kind == TokenKind.LeftParen)
            {
                Advance();
                return new NotFilter(ParseGroup());
            }

            return Peek.Kind == TokenKind.LeftParen ? ParseGroup() : ParseAttributeExpression();
        }

        private FilterNode ParseGroup()
        {
            Expect(TokenKind.LeftParen, "'('");
            Enter();
            var inner = ParseOr();
            Expect(TokenKind.RightParen, "')'");
            depth--;
            return inner;
        }

        private FilterNode ParseAttributeExpression()
        {
            var word = ExpectWord("an attribute name, 'not' or '('");
            var path = ParseAttributePath(word);
            if (Peek.Kind == TokenKind.LeftBracket)
            {
                var filter = ParseValueFilter();
                FilterNode? then = null;
                if (Peek is { Kind: TokenKind.Word } next && next.Text.StartsWith('.'))
                {
                    Advance();
                    var sub = new AttributePath(null, ValidName(next.Text[1..], next.Position + 1), null);
                    then = ParseComparison(sub, next);
                }

                return new ValuePathFilter(path, filter, then);
            }

            return ParseComparison(path, word);
        }

        private FilterNode ParseComparison(AttributePath path, Token after)
        {
            if (++expressions > MaxExpressions)
            {
                throw new ScimFilterException($"The filter is too complex: at most {MaxExpressions} comparisons are accepted.");
            }

            var op = Peek;
            if (op.Kind != TokenKind.Word)
            {
                throw new ScimFilterException(
                    $"Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after '{after.Text}' at position {op.Position + 1}. "
                    + "A filter compares an attribute with a value, for example userName eq \"ErikaM\".");
            }

            Advance();
            if (op.Text.Equals("pr", StringComparison.OrdinalIgnoreCase))
            {
                return new PresentFilter(path);
            }

            if (!Enum.TryParse<CompareOperator>(op.Text, ignoreCase: true, out var compare) || !op.Text.All(char.IsAsciiLetter))
            {
                throw new ScimFilterException($"'{op.Text}' at position {op.Position + 1} is not a filter operator; use eq, ne, co, sw, ew, gt, ge, lt, le or pr.");
            }

            return new CompareFilter(path, compare, ParseValue());
        }

        private ScimLiteral ParseValue()
        {
            var token = Peek;
            Advance();
            if (token.Kind == TokenKind.String)
            {
                return ScimLiteral.OfText(token.Text);
            }

            if (token.Kind == TokenKind.Word)
            {
                if (token.Text.Equals("true", StringComparison.OrdinalIgnoreCase))
                {
                    return ScimLiteral.True;
                }

                if (token.Text.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    return ScimLiteral.False;
                }

                if (token.Text.Equals("null", StringComparison.OrdinalIgnoreCase))
                {
                    return ScimLiteral.Null;
                }

                if (NumberPattern().IsMatch(token.Text))
                {
                    return new ScimLiteral(LiteralKind.Number, token.Text);
                }
            }

            throw new ScimFilterException(token.Kind == TokenKind.End
                ? "The filter ends where a value was expected."
                : $"Expected a value at position {token.Position + 1}: a string in double quotes, a number, true, false or null.");
        }

        public FilterNode ParseValueFilter()
        {
            if (inValueFilter)
            {
                throw new ScimFilterException($"Value filters cannot be nested (position {Peek.Position + 1}).");
            }

            Expect(TokenKind.LeftBracket, "'['");
            Enter();
            inValueFilter = true;
            var filter = ParseOr();
            inValueFilter = false;
            Expect(TokenKind.RightBracket, "']'");
            depth--;
            return filter;
        }

        public static AttributePath ParseAttributePath(Token word)
        {
            var text = word.Text;
            string? schema = null;
            var colon = text.LastIndexOf(':');
            if (colon >= 0)
            {
                schema = text[..colon];
                text = text[(colon + 1)..];
                if (!schema.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ScimFilterException($"'{word.Text}' at position {word.Position + 1} is not an attribute path: only a schema URN may precede ':'.");
                }
            }

            var dot = text.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                return new AttributePath(schema, ValidName(text, word.Position), null);
            }

            return new AttributePath(schema, ValidName(text[..dot], word.Position), ValidName(text[(dot + 1)..], word.Position + dot + 1));
        }

        public Token ExpectWord(string what)
        {
            var token = Peek;
            if (token.Kind != TokenKind.Word)
            {
                throw new ScimFilterException(token.Kind == TokenKind.End
                    ? $"Expected {what} but the text ended."
                    : $"Expected {what} at position {token.Position + 1} but found '{token.Text}'.");
            }

            Advance();
            return token;
        }

        public void ExpectEnd()
        {
            if (Peek.Kind != TokenKind.End)
            {
                throw new ScimFilterException($"Unexpected '{Peek.Text}' at position {Peek.Position + 1}. Combine expressions with 'and' or 'or', and quote string values.");
            }
        }

        private void Expect(TokenKind kind, string what)
        {
            if (Peek.Kind != kind)
            {
                throw new ScimFilterException(Peek.Kind == TokenKind.End
                    ? $"Expected {what} but the text ended."
                    : $"Expected {what} at position {Peek.Position + 1} but found '{Peek.Text}'.");
            }

            Advance();
        }

        private void Enter()
        {
            if (++depth > MaxDepth)
            {
                throw new ScimFilterException($"The filter is nested too deeply: at most {MaxDepth} levels of parentheses are accepted.");
            }
        }

        private static bool IsKeyword(Token token, string keyword) =>
            token.Kind == TokenKind.Word && token.Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);
    }
}
