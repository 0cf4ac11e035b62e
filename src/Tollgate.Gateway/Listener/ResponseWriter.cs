using Microsoft.Extensions.Primitives;
using System.Globalization;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Tollgate.Gateway.Http;

namespace Tollgate.Gateway.Listener;

/// <summary>Writes a plain HTTP/1.1 response (a refusal) with a Content-Length body.</summary>
internal static class ResponseWriter
{
    /// <summary>The response as bytes: status line, Date, Content-Length, the headers, and the body (not for HEAD).</summary>
    public static byte[] Build(int status, IHeaderDictionary headers, ReadOnlySpan<byte> body, bool close, bool headRequest = false)
    {
        var head = new HeadBytes(512);
        head.Append("HTTP/1.1 "u8);
        head.Append(status);
        head.Append(" "u8);
        head.Append(ReasonPhrases.GetReasonPhrase(status));
        head.Append("\r\nDate: "u8);
        Span<char> date = stackalloc char[29];
        DateTime.UtcNow.TryFormat(date, out var written, "r", CultureInfo.InvariantCulture);
        head.Append(date[..written]);
        head.Append("\r\nContent-Length: "u8);
        head.Append(body.Length);
        head.Append("\r\n"u8);
        if (close)
            head.Append("Connection: close\r\n"u8);
        AppendHeaders(ref head, headers);
        head.Append("\r\n"u8);
        return head.ToArray(headRequest ? default : body);
    }

    /// <summary>A plain-text error that closes the connection (a malformed request).</summary>
    public static byte[] BuildError(int status, string message)
    {
        IHeaderDictionary headers = new HeaderDictionary();
        headers.ContentType = "text/plain; charset=utf-8";
        headers.CacheControl = "no-store";
        return Build(status, headers, Encoding.UTF8.GetBytes(message + "\n"), close: true);
    }

    public static async ValueTask WriteErrorAsync(PipeWriter output, int status, string message) =>
        await output.WriteAsync(BuildError(status, message));

    /// <summary>Every header but the framing ones this writer owns; values checked for CR/LF so nothing can split the response.</summary>
    public static void AppendHeaders(ref HeadBytes head, IHeaderDictionary headers)
    {
        if (headers is HeaderDictionary plain)
        {
            foreach (var (name, values) in plain) // its struct enumerator: no boxed one per response
                AppendHeader(ref head, name, values);
            return;
        }
        foreach (var (name, values) in headers)
            AppendHeader(ref head, name, values);
    }

    private static void AppendHeader(ref HeadBytes head, string name, StringValues values)
    {
        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
            || name.Equals("Date", StringComparison.OrdinalIgnoreCase))
            return;
        foreach (var value in values)
        {
            if (value is null || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                continue;
            head.Header(name, value);
        }
    }
}
