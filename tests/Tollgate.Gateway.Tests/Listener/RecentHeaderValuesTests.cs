using System.Text;
using Tollgate.Gateway.Http;
using Tollgate.Gateway.Listener;

namespace Tollgate.Gateway.Tests.Listener;

/// <summary>A reconnecting client's bearer token is not copied again: the parser hands back the string of its last request.</summary>
public sealed class RecentHeaderValuesTests
{
    private static string Token(char fill, string tail) => "Bearer " + new string(fill, 800) + tail;

    private static RequestHead Parse(string authorization) =>
        RequestHeadTests.Parse($"GET /a/1 HTTP/1.1\r\nHost: h\r\nauthorization: {authorization}\r\nX-Long: {authorization}\r\n\r\n");

    [Fact]
    public void The_same_token_on_a_new_request_is_the_same_string()
    {
        var token = Token('a', Guid.NewGuid().ToString("N"));
        var first = Parse(token).Headers["Authorization"].ToString();
        var second = Parse(token).Headers["Authorization"].ToString();
        Assert.Equal(token, second);
        Assert.Same(first, second);
    }

    [Fact]
    public void Only_the_credential_header_is_shared()
    {
        var token = Token('b', Guid.NewGuid().ToString("N"));
        var first = Parse(token).Headers["X-Long"].ToString();
        var second = Parse(token).Headers["X-Long"].ToString();
        Assert.Equal(token, second);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void Values_that_share_length_and_tail_keep_their_own_text()
    {
        // Same length and same last 32 bytes: the same slot. Each must still read back exactly as sent.
        var tail = Guid.NewGuid().ToString("N");
        var one = Token('c', tail);
        var other = Token('d', tail);
        Assert.Equal(one, RecentHeaderValues.Get(Encoding.ASCII.GetBytes(one)));
        Assert.Equal(other, RecentHeaderValues.Get(Encoding.ASCII.GetBytes(other)));
        Assert.Equal(one, RecentHeaderValues.Get(Encoding.ASCII.GetBytes(one)));
    }

    [Fact]
    public void Latin1_bytes_compare_by_value()
    {
        var bytes = Encoding.Latin1.GetBytes("Bearer " + new string('\u00e9', 100) + Guid.NewGuid().ToString("N"));
        var first = RecentHeaderValues.Get(bytes);
        Assert.Equal(Encoding.Latin1.GetString(bytes), first);
        Assert.Same(first, RecentHeaderValues.Get(bytes));
        bytes[10] = (byte)'e';
        Assert.Equal(Encoding.Latin1.GetString(bytes), RecentHeaderValues.Get(bytes));
    }

    [Fact]
    public void Other_schemes_are_not_kept()
    {
        var bytes = Encoding.ASCII.GetBytes("Basic " + new string('z', 200));
        Assert.NotSame(RecentHeaderValues.Get(bytes), RecentHeaderValues.Get(bytes));
    }

    [Theory]
    [InlineData(RecentHeaderValues.MinLength - 1)]
    [InlineData(RecentHeaderValues.MaxLength + 1)]
    public void Short_and_very_long_values_are_not_kept(int length)
    {
        var text = "Bearer " + new string('k', length - 7);
        var bytes = Encoding.ASCII.GetBytes(text);
        var first = RecentHeaderValues.Get(bytes);
        var second = RecentHeaderValues.Get(bytes);
        Assert.Equal(text, second);
        Assert.NotSame(first, second);
    }
}
