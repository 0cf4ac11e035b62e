using Tollgate.Gateway.Http;

namespace Tollgate.Gateway.Backend;

/// <summary>Parses an HTTP/1.1 response header block (status line + fields, without the final empty line).</summary>
internal static class HttpResponseHead
{
    /// <summary>Index just past the "\r\n\r\n" ending the header block, or -1 if it is not complete yet.</summary>
    public static int FindEnd(ReadOnlySpan<byte> data)
    {
        int i = data.IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }

    public static bool TryParse(
        ReadOnlySpan<byte> head,
        out int statusCode,
        out List<KeyValuePair<string, string>> headers,
        out string? error)
    {
        statusCode = 0;
        headers = new(8); // a 101's usual fields without regrowing
        error = null;

        int lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];
        // "HTTP/1.1 101 Switching Protocols": the reason phrase is optional and ignored.
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !IsDigit(statusLine[9]) || !IsDigit(statusLine[10]) || !IsDigit(statusLine[11])
            || (statusLine.Length > 12 && statusLine[12] != (byte)' '))
        {
            error = "malformed status line from backend";
            return false;
        }
        statusCode = (statusLine[9] - '0') * 100 + (statusLine[10] - '0') * 10 + (statusLine[11] - '0');

        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 2)..];
            if (line.IsEmpty)
            {
                break;
            }
            int colon = line.IndexOf((byte)':');
            // Obsolete line folding and whitespace before the colon are rejected, as RFC 9112 asks of clients too.
            if (colon <= 0 || line[0] is (byte)' ' or (byte)'\t' || line[colon - 1] is (byte)' ' or (byte)'\t')
            {
                error = "malformed header line from backend";
                return false;
            }
            string name = HeaderText.Name(line[..colon]);
            string value = HeaderText.Value(line[(colon + 1)..].Trim(" \t"u8));
            headers.Add(new(name, value));
        }
        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
