using Microsoft.EntityFrameworkCore;
using Tollgate.Store.Entities;

namespace Tollgate.Store;

public sealed class TollgateDb(DbContextOptions<TollgateDb> options) : DbContext(options)
{
    public DbSet<UserEntity> Users => Set<UserEntity>();
    public DbSet<ApiEntity> Apis => Set<ApiEntity>();
    public DbSet<PlanEntity> Plans => Set<PlanEntity>();
    public DbSet<ApplicationEntity> Applications => Set<ApplicationEntity>();
    public DbSet<ApplicationKeyEntity> ApplicationKeys => Set<ApplicationKeyEntity>();
    public DbSet<ApiKeyEntity> ApiKeys => Set<ApiKeyEntity>();
    public DbSet<SubscriptionEntity> Subscriptions => Set<SubscriptionEntity>();
    public DbSet<RefreshTokenEntity> RefreshTokens => Set<RefreshTokenEntity>();
    public DbSet<RevokedTokenEntity> RevokedTokens => Set<RevokedTokenEntity>();
    public DbSet<SettingEntity> Settings => Set<SettingEntity>();
    public DbSet<AnalyticsMinuteEntity> AnalyticsMinutes => Set<AnalyticsMinuteEntity>();
    public DbSet<AnalyticsConnectionEntity> AnalyticsConnections => Set<AnalyticsConnectionEntity>();
    public DbSet<AnalyticsDayEntity> AnalyticsDays => Set<AnalyticsDayEntity>();
    public DbSet<DataProtectionKeyEntity> DataProtectionKeys => Set<DataProtectionKeyEntity>();
    public DbSet<ThrottleCounterEntity> ThrottleCounters => Set<ThrottleCounterEntity>();
    public DbSet<ThrottleConnectionCountEntity> ThrottleConnectionCounts => Set<ThrottleConnectionCountEntity>();
    public DbSet<GatewayNodeEntity> GatewayNodes => Set<GatewayNodeEntity>();
    public DbSet<UsedTicketEntity> UsedTickets => Set<UsedTicketEntity>();

    /// <summary>Tables added after the first release: created on existing databases by <see cref="StoreSetup"/>.</summary>
    internal static readonly string[] LaterTables = ["analytics_minutes", "analytics_connections", "analytics_days", "data_protection_keys",
        "throttle_counters", "throttle_connection_counts", "gateway_nodes", "used_tickets"];

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<UserEntity>(e =>
        {
            e.ToTable("users");
            e.HasIndex(x => x.Username).IsUnique();
            e.Property(x => x.Username).HasMaxLength(64);
        });
        b.Entity<ApiEntity>(e =>
        {
            e.ToTable("apis");
            e.HasIndex(x => new { x.Context, x.Version }).IsUnique();
            e.HasIndex(x => new { x.Name, x.Version }).IsUnique();
            e.Property(x => x.Name).HasMaxLength(60);
            e.Property(x => x.Context).HasMaxLength(200);
            e.Property(x => x.Version).HasMaxLength(30);
        });
        b.Entity<PlanEntity>(e =>
        {
            e.ToTable("plans");
            e.HasKey(x => x.Name);
        });
        b.Entity<ApplicationEntity>(e =>
        {
            e.ToTable("applications");
            e.HasIndex(x => new { x.Owner, x.Name }).IsUnique();
        });
        b.Entity<ApplicationKeyEntity>(e =>
        {
            e.ToTable("application_keys");
            e.HasIndex(x => x.ConsumerKey).IsUnique();
            e.HasIndex(x => new { x.ApplicationId, x.KeyType }).IsUnique();
        });
        b.Entity<ApiKeyEntity>(e =>
        {
            e.ToTable("api_keys");
            e.HasIndex(x => x.KeyHash).IsUnique();
            e.HasIndex(x => x.ApplicationId);
        });
        b.Entity<SubscriptionEntity>(e =>
        {
            e.ToTable("subscriptions");
            e.HasIndex(x => new { x.ApiId, x.ApplicationId }).IsUnique();
        });
        b.Entity<RefreshTokenEntity>(e =>
        {
            e.ToTable("refresh_tokens");
            e.HasKey(x => x.TokenHash);
        });
        b.Entity<RevokedTokenEntity>(e =>
        {
            e.ToTable("revoked_tokens");
            e.HasKey(x => x.Jti);
        });
        b.Entity<SettingEntity>(e =>
        {
            e.ToTable("settings");
            e.HasKey(x => x.Key);
        });
        b.Entity<AnalyticsMinuteEntity>(e =>
        {
            e.ToTable("analytics_minutes");
            e.HasIndex(x => new { x.Minute, x.ApiId, x.ApplicationId }).IsUnique();
            e.HasIndex(x => new { x.ApiId, x.Minute });
            e.HasIndex(x => new { x.ApplicationId, x.Minute });
        });
        b.Entity<AnalyticsDayEntity>(e =>
        {
            e.ToTable("analytics_days");
            e.HasIndex(x => new { x.Day, x.ApiId, x.ApplicationId }).IsUnique();
            e.HasIndex(x => new { x.ApiId, x.Day });
            e.HasIndex(x => new { x.ApplicationId, x.Day });
        });
        b.Entity<UsedTicketEntity>(e =>
        {
            e.ToTable("used_tickets");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(100);
            e.HasIndex(x => x.ExpiresAt);
        });
        b.Entity<GatewayNodeEntity>(e =>
        {
            e.ToTable("gateway_nodes");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(200);
        });
        b.Entity<AnalyticsConnectionEntity>(e =>
        {
            e.ToTable("analytics_connections");
            e.HasIndex(x => new { x.ApiId, x.At });
            e.HasIndex(x => new { x.ApplicationId, x.At });
            e.HasIndex(x => x.At);
        });
        b.Entity<DataProtectionKeyEntity>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasIndex(x => x.FriendlyName).IsUnique();
        });
        b.Entity<ThrottleCounterEntity>(e =>
        {
            e.ToTable("throttle_counters");
            e.HasKey(x => new { x.Key, x.WindowStart });
            e.Property(x => x.Key).HasMaxLength(256);
            e.HasIndex(x => x.ExpiresAt);
        });
        b.Entity<ThrottleConnectionCountEntity>(e =>
        {
            e.ToTable("throttle_connection_counts");
            e.HasKey(x => new { x.Node, x.Key });
            e.Property(x => x.Node).HasMaxLength(200);
            e.Property(x => x.Key).HasMaxLength(256);
            e.HasIndex(x => x.Key);
        });
        if (Database.IsNpgsql())
            PostgresModel.Apply(b);
    }
}
