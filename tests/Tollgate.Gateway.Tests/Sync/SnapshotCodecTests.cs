using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Analytics;
using Tollgate.Core.Apis;
using Tollgate.Core.Applications;
using Tollgate.Core.Lifecycle;
using Tollgate.Core.Plans;
using Tollgate.Gateway.Snapshot;
using Tollgate.Gateway.Sync;

namespace Tollgate.Gateway.Tests.Sync;

/// <summary>What a gateway node receives must be the snapshot the control plane built, field for field, and no private key.</summary>
public sealed class SnapshotCodecTests
{
    private static readonly RSA Rsa = RSA.Create(2048);

    private static GatewaySnapshot Full()
    {
        var apiA = Guid.NewGuid();
        var apiB = Guid.NewGuid();
        var app = Guid.NewGuid();
        var security = new ApiSecurity
        {
            OAuth2 = false,
            ApiKeys = true,
            AuthorizationUrl = "https://auth.example.com/check",
            AuthorizationTimeoutMs = 1500,
            AuthorizationCacheSeconds = 30,
            AuthorizationResponseHeaders = ["X-User", "X-Scopes"],
            AllowedOrigins = ["https://app.example.com"],
            RemoveRequestHeaders = ["Cookie"],
            ForwardOrigin = false,
            CallerJwt = true,
            MaxMessageBytes = 4096,
        };
        var throttling = new ApiThrottling(
            new ThrottlePolicy(ThrottleAction.Drop, [new PlanLimit(100, LimitPeriod.Second, 10_000, 20)], MaxConnections: 7,
                MaxConnectionDuration: TimeSpan.FromMinutes(5), Direction: CountedDirection.In),
            new ThrottlePolicy(ThrottleAction.Close, [new PlanLimit(null, LimitPeriod.Day, 1_000_000)], Direction: CountedDirection.Out));
        var routes = new[]
        {
            new ApiRoute(apiA, "Chat", "/chat", "1.0.0", new Uri("wss://backend.example.com:8443/chat?x=1"), new Uri("ws://sandbox:9000/chat"),
                ApiState.Published, true, security, new[] { "https://app.example.com" }.ToFrozenSet(), throttling),
            new ApiRoute(apiB, "Chat", "/chat", "2.0.0", null, null, ApiState.Blocked, false, ApiSecurity.Default, FrozenSet<string>.Empty),
        };
        var subscriptions = new[]
        {
            new SubscriptionGrant(Guid.NewGuid(), apiA, app, "My App", "Gold", SubscriptionStatus.Active, "AppPolicy", "alice"),
            new SubscriptionGrant(Guid.NewGuid(), apiB, app, "My App", "Bronze", SubscriptionStatus.Blocked),
        };
        var plans = DefaultPlans.All.Append(new BusinessPlan("AppPolicy", "every field",
            new ThrottlePolicy(ThrottleAction.Close, [new PlanLimit(60, LimitPeriod.Minute, 1024, 5), new PlanLimit(10, LimitPeriod.Month)],
                MaxConnections: 2, MaxConnectionDuration: TimeSpan.FromHours(1), Direction: CountedDirection.Out)));
        var key = new RsaSecurityKey(Rsa) { KeyId = "kid-1" };
        return GatewaySnapshot.Create(42, routes, subscriptions, ["jti-1", "jti-2"],
            [KeyValuePair.Create("consumer-key", new DateTime(2026, 11, 21, 10, 30, 15, 123, DateTimeKind.Utc))],
            [KeyValuePair.Create("hash-of-key", new ApiKeyGrant(Guid.NewGuid(), app, KeyType.Sandbox))],
            new TokenTrust("https://cp.example.com:9443", "tollgate-gateway", key), plans);
    }

    [Fact]
    public void A_snapshot_with_every_field_set_survives_encode_and_decode()
    {
        var original = Full();
        var decoded = SnapshotCodec.Decode(SnapshotCodec.Encode(original));

        Assert.Equal(42, decoded.Version);
        Assert.Equal(original.RoutesByContextAndVersion.Keys.Order(), decoded.RoutesByContextAndVersion.Keys.Order());
        Assert.Equal(original.DefaultRoutesByContext.Keys.ToArray(), decoded.DefaultRoutesByContext.Keys.ToArray());
        foreach (var (label, route) in original.RoutesByContextAndVersion)
        {
            var got = decoded.RoutesByContextAndVersion[label];
            Assert.Equal(route.ApiId, got.ApiId);
            Assert.Equal(route.Name, got.Name);
            Assert.Equal(route.State, got.State);
            Assert.Equal(route.IsDefaultVersion, got.IsDefaultVersion);
            Assert.Equal(route.ProductionEndpoint, got.ProductionEndpoint);
            Assert.Equal(route.SandboxEndpoint, got.SandboxEndpoint);
            Assert.Equal(route.AllowedOrigins.Order(), got.AllowedOrigins.Order());
            Assert.Equal(Json(route.Security), Json(got.Security));
            Assert.Equal(Json(route.Throttling), Json(got.Throttling));
        }
        var chat = decoded.RoutesByContextAndVersion["/chat/1.0.0"];
        Assert.True(chat.Security.CallerJwt);
        Assert.Equal(["X-User", "X-Scopes"], chat.Security.AuthorizationResponseHeaders);
        Assert.Equal(TimeSpan.FromMinutes(5), chat.Throttling!.Api.MaxConnectionDuration);
        Assert.Equal(20, chat.Throttling.Api.Limits[0].Burst);
        Assert.Equal(CountedDirection.Out, chat.Throttling.PerConnection.Direction);

        Assert.Equal(original.Subscriptions.Count, decoded.Subscriptions.Count);
        foreach (var (k, grant) in original.Subscriptions)
            Assert.Equal(grant, decoded.Subscriptions[k]); // records of scalars: value equality
        Assert.Equal(original.RevokedTokenIds.Order(), decoded.RevokedTokenIds.Order());
        Assert.Contains("jti-1", (IReadOnlySet<string>)decoded.RevokedTokenIds);
        var validAfter = decoded.KeyTokensValidAfter["consumer-key"];
        Assert.Equal(original.KeyTokensValidAfter["consumer-key"], validAfter);
        Assert.Equal(DateTimeKind.Utc, validAfter.Kind);
        Assert.Equal(original.ApiKeysByHash["hash-of-key"], decoded.ApiKeysByHash["hash-of-key"]);

        Assert.Equal(original.Plans.Keys.Order(), decoded.Plans.Keys.Order());
        foreach (var (name, plan) in original.Plans)
            Assert.Equal(Json(plan), Json(decoded.Plans[name]));
        Assert.True(decoded.Plans.ContainsKey("appPOLICY"), "plans are looked up case-insensitively, as in the control plane's snapshot");

        Assert.Equal(original.Trust!.Issuer, decoded.Trust!.Issuer);
        Assert.Equal(original.Trust.Audience, decoded.Trust.Audience);
        Assert.Equal("kid-1", decoded.Trust.SigningKey.KeyId);

        // Encoding the decoded snapshot gives the same bytes: nothing was lost or reordered.
        Assert.Equal(Encoding.UTF8.GetString(SnapshotCodec.Encode(original)), Encoding.UTF8.GetString(SnapshotCodec.Encode(decoded)));
    }

    [Fact]
    public async Task The_decoded_public_key_verifies_tokens_signed_by_the_control_plane()
    {
        var decoded = SnapshotCodec.Decode(SnapshotCodec.Encode(Full()));
        var handler = new JsonWebTokenHandler();
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://cp.example.com:9443",
            Audience = "tollgate-gateway",
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(Rsa) { KeyId = "kid-1" }, SecurityAlgorithms.RsaSha256),
        });
        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = decoded.Trust!.Issuer,
            ValidAudience = decoded.Trust.Audience,
            IssuerSigningKey = decoded.Trust.SigningKey,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public void The_private_key_never_leaves_the_control_plane()
    {
        var json = Encoding.UTF8.GetString(SnapshotCodec.Encode(Full()));
        using var doc = JsonDocument.Parse(json);
        var key = doc.RootElement.GetProperty("trust").GetProperty("key");
        Assert.Equal(["kty", "n", "e", "kid"], key.EnumerateObject().Select(p => p.Name));
        var d = Base64UrlEncoder.Encode(Rsa.ExportParameters(true).D!);
        Assert.DoesNotContain(d[..40], json);
        var decoded = SnapshotCodec.Decode(Encoding.UTF8.GetBytes(json));
        var rsa = ((RsaSecurityKey)decoded.Trust!.SigningKey).Rsa;
        Assert.ThrowsAny<CryptographicException>(() => rsa.ExportParameters(includePrivateParameters: true));
    }

    [Fact]
    public void Malformed_input_is_refused_with_a_format_error()
    {
        Assert.Throws<FormatException>(() => SnapshotCodec.Decode("{not json"u8));
        Assert.Throws<FormatException>(() => SnapshotCodec.Decode("""{"type":"heartbeat","node":"n"}"""u8));
    }

    [Fact]
    public void Heartbeats_and_analytics_batches_round_trip()
    {
        var started = new DateTime(2026, 11, 21, 8, 0, 0, DateTimeKind.Utc);
        using (var doc = JsonDocument.Parse(NodeMessages.Encode(new NodeHeartbeat("node-1", "1.2.3", 17, 5, started))))
        {
            Assert.Equal(NodeMessages.Heartbeat, NodeMessages.TypeOf(doc));
            var h = NodeMessages.ReadHeartbeat(doc)!;
            Assert.Equal(("node-1", "1.2.3", 17L, 5, started), (h.Node, h.TollgateVersion, h.SnapshotVersion, h.OpenConnections, h.StartedAt));
        }
        var minute = new MinuteSample(29_000_000, Guid.NewGuid(), Guid.NewGuid(), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        var record = new ConnectionRecord(started, Guid.NewGuid(), "/chat/1.0.0", Guid.NewGuid(), "app", "alice", "production", "127.0.0.1",
            "ua", "accepted", null, 1.5, 0.5, 0.75, 1000, 1, 2, 3, 4, 1000, "bye", "client");
        using (var doc = JsonDocument.Parse(NodeMessages.Encode(new AnalyticsBatch([minute], [record]))))
        {
            Assert.Equal(NodeMessages.Analytics, NodeMessages.TypeOf(doc));
            var batch = NodeMessages.ReadAnalytics(doc)!;
            Assert.Equal(minute, Assert.Single(batch.Minutes));
            Assert.Equal(record, Assert.Single(batch.Connections));
        }
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, SnapshotCodec.Json);
}
