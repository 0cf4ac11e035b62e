using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http;
using Tollgate.Gateway.Http;
using KestrelMethod = Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpMethod;
using KestrelVersion = Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpVersion;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// The request line and headers of one HTTP/1.1 request, filled by Kestrel's own parser (same grammar checks as the
/// HTTP stack). Header values must be ASCII, as Kestrel's default; the path is percent-decoded (except %2F) and its dot
/// segments removed, as Kestrel does, so routes match exactly as they did before.
/// </summary>
internal sealed class RequestHead : IHttpRequestLineHandler, IHttpHeadersHandler
{
    public string Method { get; private set; } = "";
    public string Protocol { get; private set; } = "";
    public bool IsHttp11 { get; private set; }
    public string Path { get; private set; } = "";
    public string RawTarget { get; private set; } = "";
    public string Query { get; private set; } = "";
    public HeaderDictionary Headers { get; private set; } = new();
    public bool StartLineDone { get; private set; }
    public bool HeadersDone { get; private set; }

    public void OnStartLine(HttpVersionAndMethod versionAndMethod, TargetOffsetPathLength targetPath, Span<byte> startLine)
    {
        Method = versionAndMethod.Method == KestrelMethod.Get ? "GET" : Encoding.ASCII.GetString(startLine[..versionAndMethod.MethodEnd]);
        IsHttp11 = versionAndMethod.Version == KestrelVersion.Http11;
        Protocol = IsHttp11 ? "HTTP/1.1" : versionAndMethod.Version == KestrelVersion.Http10 ? "HTTP/1.0" : "HTTP/1.1";
        var target = startLine[targetPath.Offset..];
        if (target.Length == 0 || target[0] != (byte)'/')
            throw new BadRequest(400, "Only origin-form request targets ('/path?query') are accepted.");
        RawTarget = Encoding.ASCII.GetString(target);
        var rawPath = RawTarget[..targetPath.Length];
        Query = RawTarget[targetPath.Length..];
        Path = RemoveDotSegments(targetPath.IsEncoded ? DecodePath(rawPath) : rawPath);
        StartLineDone = true;
    }

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
            if (b > 0x7F)
                throw new BadRequest(400, "Header values must be ASCII.");
        var headerName = HeaderText.Name(name);
        Headers.Append(headerName, HeaderText.Value(headerName, value));
    }

    public void OnHeadersComplete(bool endStream) => HeadersDone = true;

    /// <summary>After the upgrade: drops the parsed headers (and the token among them) for the connection's life.</summary>
    public void ReleaseHeaders() => Headers = new HeaderDictionary();

    public void OnStaticIndexedHeader(int index) => throw new NotSupportedException("HTTP/2 only");

    public void OnStaticIndexedHeader(int index, ReadOnlySpan<byte> value) => throw new NotSupportedException("HTTP/2 only");

    /// <summary>Percent-decoding of the path, keeping %2F (an encoded slash is data, not a separator), as Kestrel does.</summary>
    private static string DecodePath(string raw)
    {
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                var b = Convert.ToByte(raw.Substring(i + 1, 2), 16);
                if (b == (byte)'/')
                {
                    bytes.Add((byte)'%'); bytes.Add((byte)raw[i + 1]); bytes.Add((byte)raw[i + 2]);
                }
                else
                {
                    bytes.Add(b);
                }
                i += 2;
            }
            else
            {
                bytes.Add((byte)raw[i]);
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new BadRequest(400, "The request path is not valid UTF-8.");
        }
    }

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    /// <summary>RFC 3986 5.2.4, as Kestrel applies it to every request path.</summary>
    internal static string RemoveDotSegments(string path)
    {
        if (!path.Contains("/.", StringComparison.Ordinal))
            return path;
        var output = new List<string>();
        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var s = segments[i];
            var last = i == segments.Length - 1;
            if (s == ".")
            {
                if (last) output.Add("");
            }
            else if (s == "..")
            {
                if (output.Count > 0) output.RemoveAt(output.Count - 1);
                if (last) output.Add("");
            }
            else
            {
                output.Add(s);
            }
        }
        return "/" + string.Join('/', output);
    }
}

/// <summary>A request the gateway answers with an error status and then closes.</summary>
internal sealed class BadRequest(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
