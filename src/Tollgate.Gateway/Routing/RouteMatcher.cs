using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Routing;

/// <summary>A matched route and the rest of the path that goes on to the backend.</summary>
public readonly record struct RouteMatch(ApiRoute Route, string Rest);

/// <summary>
/// Maps <c>/{context}/{version}[/rest]</c> and <c>/{context}[/rest]</c> (default version) to an API.
/// Contexts may have several segments; the longest match wins, and an explicit version beats the default.
/// </summary>
public static class RouteMatcher
{
    public static RouteMatch? Match(GatewaySnapshot snapshot, string path)
    {
        if (path.Length == 0 || path[0] != '/')
            return null;
        var versioned = snapshot.RoutesByContextAndVersion.GetAlternateLookup<ReadOnlySpan<char>>();
        var defaults = snapshot.DefaultRoutesByContext.GetAlternateLookup<ReadOnlySpan<char>>();
        var span = path.AsSpan().TrimEnd('/');

        // Try each prefix that ends at a segment boundary, longest first.
        for (var end = span.Length; end > 0; end = span[..end].LastIndexOf('/'))
        {
            var prefix = span[..end];
            if (versioned.TryGetValue(prefix, out var route))
                return new RouteMatch(route, path[end..]);
            if (defaults.TryGetValue(prefix, out route))
                return new RouteMatch(route, path[end..]);
        }
        return null;
    }
}
