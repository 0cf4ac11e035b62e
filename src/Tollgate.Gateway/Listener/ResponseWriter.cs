using System.Globalization;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Tollgate.Gateway.Listener;

/// <summary>Writes a plain HTTP/1.1 response (a refusal) with a Content-Length body.</summary>
internal static class ResponseWriter
{
    /// <summary>The response as bytes: status line, Date, Content-Length, the headers, and the body (not for HEAD).</summary>
    public static byte[] Build(int status, IHeaderDictionary headers, ReadOnlySpan<byte> body, bool close, bool headRequest = false)
    {
        var head = new StringBuilder(512)
            .Append("HTTP/1.1 ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(ReasonPhrases.GetReasonPhrase(status)).Append("\r\n")
            .Append("Date: ").Append(DateTime.UtcNow.ToString("r", CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (close)
            head.Append("Connection: close\r\n");
        AppendHeaders(head, headers);
        head.Append("\r\n");
        var headBytes = Encoding.Latin1.GetByteCount(head.ToString());
        var bytes = new byte[headBytes + (headRequest ? 0 : body.Length)];
        Encoding.Latin1.GetBytes(head.ToString(), bytes);
        if (!headRequest)
            body.CopyTo(bytes.AsSpan(headBytes));
        return bytes;
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
    public static void AppendHeaders(StringBuilder head, IHeaderDictionary headers)
    {
        foreach (var (name, values) in headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Date", StringComparison.OrdinalIgnoreCase))
                continue;
            foreach (var value in values)
            {
                if (value is null || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                    continue;
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }
    }
}
