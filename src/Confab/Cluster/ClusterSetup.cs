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
        return services;
    }
}
