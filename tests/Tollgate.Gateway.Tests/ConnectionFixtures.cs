using System.Collections.Frozen;
using Tollgate.Core.Apis;
using Tollgate.Core.Applications;
using Tollgate.Core.Lifecycle;
using Tollgate.Gateway.Handshake;
using Tollgate.Gateway.Snapshot;

namespace Tollgate.Gateway.Tests;

/// <summary>A published route and an application's access-token identity, for tests that need a connection's "who and where".</summary>
internal static class ConnectionFixtures
{
    public static readonly ApiRoute Route = new(Guid.NewGuid(), "Echo", "/echo", "1.0.0", new Uri("ws://127.0.0.1:1/"), null,
        ApiState.Published, true, new ApiSecurity(), FrozenSet<string>.Empty);

    public static readonly ConnectionIdentity Identity = new(Guid.NewGuid(), "App", "alice", CredentialKind.AccessToken, "ck", KeyType.Production,
        "jti", DateTime.UtcNow, DateTime.UtcNow.AddHours(1), null);
}
