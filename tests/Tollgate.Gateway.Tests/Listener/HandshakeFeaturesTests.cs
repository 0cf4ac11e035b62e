using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Gateway.Listener;

namespace Tollgate.Gateway.Tests.Listener;

public sealed class HandshakeFeaturesTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddSingleton("a service").BuildServiceProvider();

    [Fact]
    public void A_context_over_them_reads_the_request_and_writes_the_response_as_over_a_feature_collection()
    {
        var features = new HandshakeFeatures(Services);
        var request = new HttpRequestFeature { Method = "GET", Path = "/chat/1", QueryString = "?x=1", Headers = new HeaderDictionary { ["Upgrade"] = "websocket" } };
        features.Set<IHttpRequestFeature>(request);
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        var http = new DefaultHttpContext(features);

        Assert.Equal(("/chat/1", "1", "websocket"), (http.Request.Path.Value, http.Request.Query["x"].ToString(), http.Request.Headers.Upgrade.ToString()));
        http.Response.StatusCode = 426;
        Assert.Equal(426, features.Get<IHttpResponseFeature>()!.StatusCode);
        Assert.NotNull(features.Get<IQueryFeature>()); // the context's own query feature landed in its field
    }

    [Fact]
    public void The_services_feature_is_made_only_when_asked_for_and_gives_the_root_services()
    {
        var features = new HandshakeFeatures(Services);
        Assert.DoesNotContain(features, pair => pair.Key == typeof(IServiceProvidersFeature));

        var http = new DefaultHttpContext(features);
        Assert.Equal("a service", http.RequestServices.GetRequiredService<string>());
        Assert.Contains(features, pair => pair.Key == typeof(IServiceProvidersFeature));
    }

    [Fact]
    public void Other_features_go_to_a_fallback_collection_and_every_change_bumps_the_revision()
    {
        var features = new HandshakeFeatures(Services);
        var before = features.Revision;
        var items = new ItemsFeature();
        features.Set<IItemsFeature>(items);
        Assert.Same(items, features.Get<IItemsFeature>());
        Assert.True(features.Revision > before);

        var middle = features.Revision;
        features.Set<IHttpRequestFeature>(new HttpRequestFeature());
        Assert.True(features.Revision > middle);

        features.Set<IItemsFeature>(null);
        Assert.Null(features.Get<IItemsFeature>());
        Assert.Null(features.Get<IHttpWebSocketFeature>()); // never set
        Assert.Equal([typeof(IHttpRequestFeature)], features.Select(pair => pair.Key).ToArray());
    }
}
