using System.Collections.Frozen;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Apis;
using Tollgate.Core.Lifecycle;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Tests.Routing;

public sealed class RouteMatcherTests
{
    private static ApiRoute Route(string context, string version, bool isDefault) =>
        new(Guid.NewGuid(), "Api", context, version, new Uri("ws://localhost:1/echo"), null, ApiState.Published, isDefault,
            ApiSecurity.Default, FrozenSet<string>.Empty);

    private static GatewaySnapshot Snapshot(params ApiRoute[] routes) =>
        GatewaySnapshot.Create(1, routes, [], [], [], [], new TokenTrust("iss", "aud", new SymmetricSecurityKey(new byte[32])));

    [Fact]
    public void Context_and_version_match_with_the_rest_of_the_path()
    {
        var v1 = Route("/echowebsocket", "1.0.0", isDefault: true);
        var match = RouteMatcher.Match(Snapshot(v1), "/echowebsocket/1.0.0/rooms/7");
        Assert.Same(v1, match?.Route);
        Assert.Equal("/rooms/7", match?.Rest);
    }

    [Fact]
    public void Context_alone_goes_to_the_default_version()
    {
        var v1 = Route("/echowebsocket", "1.0.0", isDefault: false);
        var v2 = Route("/echowebsocket", "2.0.0", isDefault: true);
        var snapshot = Snapshot(v1, v2);
        Assert.Same(v2, RouteMatcher.Match(snapshot, "/echowebsocket")?.Route);
        Assert.Equal("/chat", RouteMatcher.Match(snapshot, "/echowebsocket/chat")?.Rest);
        Assert.Same(v1, RouteMatcher.Match(snapshot, "/echowebsocket/1.0.0")?.Route);
        Assert.Equal("/", RouteMatcher.Match(snapshot, "/echowebsocket/1.0.0/")?.Rest); // passed on faithfully
    }

    [Fact]
    public void Multi_segment_contexts_and_the_longest_match_win()
    {
        var shortApi = Route("/stock", "1", isDefault: true);
        var longApi = Route("/stock/quotes", "1", isDefault: true);
        var snapshot = Snapshot(shortApi, longApi);
        Assert.Same(longApi, RouteMatcher.Match(snapshot, "/stock/quotes/1/live")?.Route);
        Assert.Same(shortApi, RouteMatcher.Match(snapshot, "/stock/1/quotesx")?.Route);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/other")]
    [InlineData("/echowebsocketx")]
    [InlineData("/echo")]
    public void Unknown_paths_do_not_match(string path)
    {
        Assert.Null(RouteMatcher.Match(Snapshot(Route("/echowebsocket", "1.0.0", isDefault: true)), path));
    }

    [Fact]
    public void Matching_is_case_sensitive_like_the_context()
    {
        Assert.Null(RouteMatcher.Match(Snapshot(Route("/echo", "1.0.0", isDefault: false)), "/ECHO/1.0.0"));
    }
}
