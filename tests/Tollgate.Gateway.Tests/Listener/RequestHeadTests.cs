using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http;
using Tollgate.Gateway.Listener;

namespace Tollgate.Gateway.Tests.Listener;

/// <summary>The listener's request head, parsed with Kestrel's parser: what the gateway's routing sees.</summary>
public sealed class RequestHeadTests
{
    internal static RequestHead Parse(string text)
    {
        var head = new RequestHead();
        var parser = new HttpParser<RequestHead>();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)));
        Assert.True(parser.ParseRequestLine(head, ref reader));
        Assert.True(parser.ParseHeaders(head, ref reader));
        return head;
    }

    [Fact]
    public void Path_query_and_headers_are_read()
    {
        var head = Parse("GET /echo/1.0.0/room?access_token=x&a=b HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nX-A: 1\r\nX-A: 2\r\n\r\n");
        Assert.Equal("GET", head.Method);
        Assert.True(head.IsHttp11);
        Assert.Equal("/echo/1.0.0/room", head.Path);
        Assert.Equal("?access_token=x&a=b", head.Query);
        Assert.Equal("websocket", head.Headers["Upgrade"].ToString());
        Assert.Equal(["1", "2"], head.Headers["X-A"].ToArray());
    }

    [Theory]
    [InlineData("/a/%62c", "/a/bc")]
    [InlineData("/a/b%2Fc", "/a/b%2Fc")]
    [InlineData("/a/./b/../c", "/a/c")]
    [InlineData("/a/b/..", "/a/")]
    public void Paths_are_decoded_and_normalised_as_kestrel_does(string target, string expected) =>
        Assert.Equal(expected, Parse($"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n").Path);

    [Fact]
    public void Non_ascii_header_values_are_refused_with_400()
    {
        var e = Assert.Throws<BadRequest>(() => Parse("GET / HTTP/1.1\r\nHost: h\r\nX: caf\u00e9\r\n\r\n"));
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void Absolute_form_targets_are_refused_with_400()
    {
        var e = Assert.Throws<BadRequest>(() => Parse("GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n"));
        Assert.Equal(400, e.Status);
    }
}
