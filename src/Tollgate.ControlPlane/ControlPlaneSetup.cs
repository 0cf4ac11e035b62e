using Microsoft.Extensions.DependencyInjection;
using Tollgate.ControlPlane.Applications;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Plans;
using Tollgate.ControlPlane.Subscriptions;
using Tollgate.ControlPlane.Users;

namespace Tollgate.ControlPlane;

public static class ControlPlaneSetup
{
    public static IServiceCollection AddTollgateControlPlane(this IServiceCollection services, GatewayUrls urls)
    {
        services.AddSingleton(urls);
        services.AddSingleton<ApiCatalog>();
        services.AddSingleton<ApplicationService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<SubscriptionService>();
        services.AddSingleton<UserService>();
        services.AddSingleton<PlanService>();
        services.AddSingleton<EndpointProbe>();
        services.AddSingleton<Analytics.AnalyticsStore>();
        services.AddSingleton(sp => new Analytics.AnalyticsQueries(
            sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Tollgate.Store.TollgateDb>>(), sp.GetService<Analytics.ILiveConnectionCounts>()));
        return services;
    }
}
