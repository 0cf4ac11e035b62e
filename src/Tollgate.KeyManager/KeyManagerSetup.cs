using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.KeyManager.Clients;
using Tollgate.KeyManager.Endpoints;
using Tollgate.KeyManager.Signing;
using Tollgate.KeyManager.Tokens;
using Tollgate.KeyManager.Users;
using Tollgate.Store;

namespace Tollgate.KeyManager;

public static class KeyManagerSetup
{
    public static IServiceCollection AddTollgateKeyManager(this IServiceCollection services, string dataFolder, KeyManagerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(sp => SigningKeyStore.LoadOrCreate(dataFolder, sp.GetService<IDbContextFactory<TollgateDb>>()));
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<TokenInspector>();
        services.AddSingleton<RevocationList>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<UserAuthenticator>();
        services.AddSingleton<TokenEndpoint>();
        services.AddSingleton<IntrospectionEndpoints>();
        services.AddSingleton<TicketEndpoint>();
        return services;
    }
}
