using Microsoft.AspNetCore.Http;
using Tollgate.Gateway.Handshake;

namespace Tollgate.Gateway.Tests.Routing;

public sealed class BackendPathTests
{
    [Theory]
    [InlineData("ws://b:1/echo", "", "", "/echo")]
    [InlineData("ws://b:1", "", "", "/")]
    [InlineData("ws://b:1/", "/rooms/7", "", "/rooms/7")]
    [InlineData("ws://b:1/echo/", "/rooms", "?a=1&b=2", "/echo/rooms?a=1&b=2")]
    [InlineData("ws://b:1/echo?fixed=1", "", "?a=1", "/echo?fixed=1&a=1")]
    [InlineData("ws://b:1/echo", "", "?access_token=secret&a=1", "/echo?a=1")]
    [InlineData("ws://b:1/echo", "", "?a=1&access_token=secret", "/echo?a=1")]
    [InlineData("ws://b:1/echo", "", "?access_token=secret", "/echo")]
    [InlineData("ws://b:1/echo", "", "?access%5Ftoken=secret&x=%20y", "/echo?x=%20y")]
    public void Rest_of_path_and_query_reach_the_backend_without_the_token(string endpoint, string rest, string query, string expected)
    {
        Assert.Equal(expected, BackendRequestFactory.PathAndQuery(new Uri(endpoint), rest, new QueryString(query.Length == 0 ? null : query)));
    }
}
