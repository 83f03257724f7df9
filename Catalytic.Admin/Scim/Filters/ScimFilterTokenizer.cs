using System.Globalization;
using System.Text;

namespace Catalytic.Admin.Scim.Filters;

internal enum TokenKind
{
    Word,
    String,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position);

/// <summary>
/// Splits a filter (or a PATCH path) into words, JSON strings and brackets. What a word means (attribute path,
/// operator, keyword, literal) depends on where it stands, so the parser decides.
/// </summary>
internal static class ScimFilterTokenizer
{
    public static List<Token> Tokenize(string input)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            switch (c)
            {
                case '(':
                    tokens.Add(new Token(TokenKind.LeftParen, "(", i++));
                    continue;
                case ')':
                    tokens.Add(new Token(TokenKind.RightParen, ")", i++));
                    continue;
                case '[':
                    tokens.Add(new Token(TokenKind.LeftBracket, "[", i++));
                    continue;
                case ']':
                    tokens.Add(new Token(TokenKind.RightBracket, "]", i++));
                    continue;
                case '"':
                    tokens.Add(ReadString(input, ref i));
                    continue;
            }

            var start = i;
            while (i < input.Length && !char.IsWhiteSpace(input[i]) && input[i] is not ('(' or ')' or '[' or ']' or '"'))
            {
                i++;
            }

            tokens.Add(new Token(TokenKind.Word, input[start..i], start));
        }

        tokens.Add(new Token(TokenKind.End, "", input.Length));
        return tokens;
    }

    private static Token ReadString(string input, ref int i)
    {
        var start = i++;
        var value = new StringBuilder();
        while (i < input.Length)
        {
            var c = input[i++];
            if (c == '"')
            {
                return new Token(TokenKind.String, value.ToString(), start);
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            if (i >= input.Length)
            {
                break;
            }

            var escaped = input[i++];
            switch (escaped)
            {
                case '"' or '\\' or '/':
                    value.Append(escaped);
                    break;
                case 'b':
                    value.Append('\b');
                    break;
                case 'f':
                    value.Append('\f');
                    break;
                case 'n':
                    value.Append('\n');
                    break;
                case 'r':
                    value.Append('\r');
                    break;
                case 't':
                    value.Append('\t');
                    break;
                case 'u' when i + 4 <= input.Length
                    && ushort.TryParse(input.AsSpan(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    value.Append((char)code);
                    i += 4;
                    break;
                default:
                    throw new ScimFilterException($"Invalid escape sequence '\\{escaped}' in the string starting at position {start + 1}.");
            }
        }

        throw new ScimFilterException($"The string starting at position {start + 1} has no closing quote.");
    }
}
