using Microsoft.Extensions.DependencyInjection;
using Tollgate.KeyManager.Clients;
using Tollgate.KeyManager.Endpoints;
using Tollgate.KeyManager.Signing;
using Tollgate.KeyManager.Tokens;
using Tollgate.KeyManager.Users;

namespace Tollgate.KeyManager;

public static class KeyManagerSetup
{
    public static IServiceCollection AddTollgateKeyManager(this IServiceCollection services, string dataFolder, KeyManagerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(_ => SigningKeyStore.LoadOrCreate(dataFolder));
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
