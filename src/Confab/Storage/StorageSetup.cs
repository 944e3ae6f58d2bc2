using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Confab.Storage;

public static class StorageSetup
{
    /// <summary>The SQLite executor, <see cref="ChatStore"/>, migrations at start-up, and the database's readiness check.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration["DATABASE_PATH"] is { Length: > 0 } path && configuration[$"{StorageOptions.Section}:DatabasePath"] is null)
                {
                    options.DatabasePath = path;
                }
            })
            .Validate(options => !string.IsNullOrWhiteSpace(options.DatabasePath), "Storage:DatabasePath (or DATABASE_PATH) must name the SQLite file.")
            .ValidateOnStart();

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var root = provider.GetRequiredService<IHostEnvironment>().ContentRootPath;
            return new SqliteExecutor(Path.Combine(root, options.DatabasePath), options.BusyTimeout);
        });
        services.AddSingleton<ISqlExecutor>(provider => provider.GetRequiredService<SqliteExecutor>());
        services.AddSingleton<ChatStore>();
        services.AddHostedService<StorageInitializer>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        // Live: the process answers. Ready: the database answers too.
        endpoints.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
        return endpoints;
    }
}

/// <summary>Creates the database file and applies <c>db/migrations</c> before the server takes requests.</summary>
internal sealed partial class StorageInitializer(SqliteExecutor executor, IOptions<StorageOptions> options, ILogger<StorageInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        executor.Initialize();
        var applied = await new SqliteMigrator(executor, options.Value.MigrationsPath).ApplyAsync(cancellationToken);
        LogReady(logger, executor.DatabasePath, applied.Count, applied);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Database {Path} ready; applied {Count} migration(s): {Names}")]
    private static partial void LogReady(ILogger logger, string path, int count, IReadOnlyList<string> names);
}

internal sealed class DatabaseHealthCheck(ChatStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PingAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is StorageException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", e);
        }
    }
}
