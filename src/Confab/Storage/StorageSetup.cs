using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Confab.Storage;

public static class StorageSetup
{
    /// <summary>
    /// The executor chosen by <c>Storage:Provider</c> (a SQLite file, D1 over HTTP, or PostgreSQL), <see cref="ChatStore"/>,
    /// the start-up work (SQLite and PostgreSQL: migrate; D1: check that wrangler applied every migration) and the
    /// readiness check.
    /// </summary>
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

                options.PostgresConnectionString ??= configuration.GetConnectionString("Postgres");

                // A relative path is taken from the working directory, as a user who looks for the file expects.
                if (!string.IsNullOrWhiteSpace(options.DatabasePath))
                {
                    options.DatabasePath = Path.GetFullPath(options.DatabasePath);
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new SqliteExecutor(options.DatabasePath, options.BusyTimeout);
        });

        // The D1 client's own request logging is off: one D1 query would log four lines, and headers carry the token.
        services.AddHttpClient(D1Executor.HttpClientName)
            .ConfigureHttpClient((provider, client) => D1Executor.Configure(client, provider.GetRequiredService<IOptions<StorageOptions>>().Value.D1))
            .RemoveAllLoggers();
        services.AddSingleton<D1Executor>();
        services.AddSingleton(provider =>
            new PostgresExecutor(provider.GetRequiredService<IOptions<StorageOptions>>().Value.PostgresConnectionString!));

        services.AddSingleton<ISqlExecutor>(provider => provider.GetRequiredService<IOptions<StorageOptions>>().Value.Provider switch
        {
            StorageProvider.D1 => provider.GetRequiredService<D1Executor>(),
            StorageProvider.Postgres => provider.GetRequiredService<PostgresExecutor>(),
            _ => provider.GetRequiredService<SqliteExecutor>(),
        });
        services.AddSingleton<ChatStore>();
        services.AddHostedService<StorageInitializer>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }
}

/// <summary>Ready when the database answers a cheap query within 5 s (D1: over HTTP, retries included).</summary>
internal sealed class DatabaseHealthCheck(ChatStore store) : IHealthCheck
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        try
        {
            await store.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (StorageException e)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The database did not answer within {Limit.TotalSeconds} s.", e);
        }
    }
}
