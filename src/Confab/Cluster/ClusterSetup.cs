using Confab.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Confab.Cluster;

public static class ClusterSetup
{
    /// <summary>
    /// This node's id, and with <c>Redis:Configuration</c> set, what makes several nodes on one database (PostgreSQL)
    /// serve as one: room events (<see cref="RedisBackplane"/>), broadcasts (<see cref="ClusterPubSub"/>, the app's
    /// <see cref="IPubSub"/>), presence (<see cref="ClusterPresence"/>, its <see cref="IPresence"/>) and the notices of
    /// what nodes keep in memory (<see cref="ClusterNotices"/>), over one connection (<see cref="RedisLink"/>). Without
    /// it, one node: nothing leaves the process.
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.Section)
            .Configure<IConfiguration>((options, configuration) => options.RedisConfiguration ??= configuration["Redis:Configuration"])
            .Validate(options => options.SweepInterval > TimeSpan.Zero && options.ConnectedSweepInterval >= options.SweepInterval,
                "Confab:Cluster:SweepInterval must be positive, and ConnectedSweepInterval at least as long.")
            .Validate(options => options.PresenceHeartbeat > TimeSpan.Zero && options.NodeTimeout > 2 * options.PresenceHeartbeat,
                "Confab:Cluster:PresenceHeartbeat must be positive, and NodeTimeout more than two heartbeats.")
            .ValidateOnStart();
        services.AddSingleton<NodeIdentity>();
        // Started in this order: the connection first.
        Hosted<RedisLink>(services);
        Hosted<ClusterPubSub>(services);
        services.AddSingleton<IPubSub>(provider => provider.GetRequiredService<ClusterPubSub>());
        Hosted<ClusterNotices>(services);
        Hosted<ClusterPresence>(services);
        services.AddSingleton<IPresence>(provider => provider.GetRequiredService<ClusterPresence>());
        Hosted<RedisBackplane>(services);
        services.AddSingleton<ClusterLimits>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return services;
    }

    private static void Hosted<T>(IServiceCollection services) where T : class, IHostedService
    {
        services.AddSingleton<T>();
        services.AddHostedService(provider => provider.GetRequiredService<T>());
    }
}

/// <summary>
/// With Redis configured: Healthy while it answers; Degraded (still ready: this node commits and delivers, and reads
/// other nodes' events from the database at each sweep) while it does not. Without Redis: Healthy, one node.
/// </summary>
internal sealed class RedisHealthCheck(RedisLink link) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !link.Enabled ? HealthCheckResult.Healthy("not configured: one node")
            : link.IsConnected ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(
                "Redis does not answer: other nodes' events arrive from the database, at each sweep"));
}
