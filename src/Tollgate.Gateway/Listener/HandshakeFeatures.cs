using System.Collections;
using Microsoft.AspNetCore.Http.Features;
using Tollgate.Gateway.Backend;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// The features of one handshake's <see cref="HandshakeContext"/>: a field for each one a handshake uses, looked up by
/// comparing types, instead of <see cref="FeatureCollection"/>'s dictionary (its buckets, entries and hashing, per
/// connection). Any other feature goes to a <see cref="FeatureCollection"/> made on first use. The services feature is
/// made on first use too: only a refusal's problem body needs the services.
/// </summary>
internal sealed class HandshakeFeatures(IServiceProvider services) : IFeatureCollection
{
    private IHttpRequestFeature? _request;
    private IHttpResponseFeature? _response;
    private IHttpResponseBodyFeature? _responseBody;
    private IHttpConnectionFeature? _connection;
    private IHttpRequestLifetimeFeature? _lifetime;
    private IHttpUpgradeFeature? _upgrade;
    private IBackendDialer? _dialer;
    private IServiceProvidersFeature? _services;
    private IQueryFeature? _query;
    private FeatureCollection? _more;
    private int _revision;

    public bool IsReadOnly => false;

    public int Revision => _revision + (_more?.Revision ?? 0);

    public object? this[Type key]
    {
        get
        {
            if (key == typeof(IHttpRequestFeature)) return _request;
            if (key == typeof(IHttpResponseFeature)) return _response;
            if (key == typeof(IHttpResponseBodyFeature)) return _responseBody;
            if (key == typeof(IHttpConnectionFeature)) return _connection;
            if (key == typeof(IHttpRequestLifetimeFeature)) return _lifetime;
            if (key == typeof(IHttpUpgradeFeature)) return _upgrade;
            if (key == typeof(IBackendDialer)) return _dialer;
            if (key == typeof(IServiceProvidersFeature)) return _services ??= new ServiceProvidersFeature { RequestServices = services };
            if (key == typeof(IQueryFeature)) return _query;
            return _more?[key];
        }
        set
        {
            _revision++;
            if (key == typeof(IHttpRequestFeature)) _request = (IHttpRequestFeature?)value;
            else if (key == typeof(IHttpResponseFeature)) _response = (IHttpResponseFeature?)value;
            else if (key == typeof(IHttpResponseBodyFeature)) _responseBody = (IHttpResponseBodyFeature?)value;
            else if (key == typeof(IHttpConnectionFeature)) _connection = (IHttpConnectionFeature?)value;
            else if (key == typeof(IHttpRequestLifetimeFeature)) _lifetime = (IHttpRequestLifetimeFeature?)value;
            else if (key == typeof(IHttpUpgradeFeature)) _upgrade = (IHttpUpgradeFeature?)value;
            else if (key == typeof(IBackendDialer)) _dialer = (IBackendDialer?)value;
            else if (key == typeof(IServiceProvidersFeature)) _services = (IServiceProvidersFeature?)value;
            else if (key == typeof(IQueryFeature)) _query = (IQueryFeature?)value;
            else (_more ??= new FeatureCollection())[key] = value;
        }
    }

    public TFeature? Get<TFeature>() => (TFeature?)this[typeof(TFeature)];

    public void Set<TFeature>(TFeature? instance) => this[typeof(TFeature)] = instance;

    public IEnumerator<KeyValuePair<Type, object>> GetEnumerator()
    {
        foreach (var (type, feature) in Own())
            if (feature is not null)
                yield return new(type, feature);
        if (_more is not null)
            foreach (var pair in _more)
                yield return pair;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<(Type, object?)> Own() =>
    [
        (typeof(IHttpRequestFeature), _request), (typeof(IHttpResponseFeature), _response), (typeof(IHttpResponseBodyFeature), _responseBody),
        (typeof(IHttpConnectionFeature), _connection), (typeof(IHttpRequestLifetimeFeature), _lifetime), (typeof(IHttpUpgradeFeature), _upgrade),
        (typeof(IBackendDialer), _dialer), (typeof(IServiceProvidersFeature), _services), (typeof(IQueryFeature), _query),
    ];
}
