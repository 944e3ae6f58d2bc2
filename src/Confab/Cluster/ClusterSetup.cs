using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Confab.Cluster;

public static class ClusterSetup
{
    /// <summary>
    /// This node's id, and with <c>Redis:Configuration</c> set, the backplane that makes several nodes on one database
    /// (PostgreSQL) serve as one (<see cref="RedisBackplane"/>). Without it, one node: nothing leaves the process.
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.Section)
            .Configure<IConfiguration>((options, configuration) => options.RedisConfiguration ??= configuration["Redis:Configuration"])
            .Validate(options => options.SweepInterval > TimeSpan.Zero, "Confab:Cluster:SweepInterval must be positive.")
            .ValidateOnStart();
        services.AddSingleton<NodeIdentity>();
        services.AddSingleton<RedisBackplane>();
        services.AddHostedService(provider => provider.GetRequiredService<RedisBackplane>());
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return services;
    }
}

/// <summary>
/// With Redis configured: Healthy while it answers; Degraded (still ready: this node commits and delivers, and reads
/// other nodes' events from the database at each sweep) while it does not. Without Redis: Healthy, one node.
/// </summary>
internal sealed class RedisHealthCheck(RedisBackplane backplane) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !backplane.Enabled ? HealthCheckResult.Healthy("not configured: one node")
            : backplane.IsConnected ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(
                "Redis does not answer: other nodes' events arrive from the database, at each sweep"));
}
