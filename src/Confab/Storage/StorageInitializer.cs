using Microsoft.Extensions.Options;

namespace Confab.Storage;

/// <summary>
/// Before the server takes requests. SQLite: creates the file and applies <c>db/migrations</c>. PostgreSQL: applies
/// <c>db/postgres</c> (<see cref="PostgresMigrator"/>). D1: the schema is
/// wrangler's to apply (<c>wrangler d1 migrations apply</c>), so this only checks that every migration the app ships
/// with is recorded in D1's <c>d1_migrations</c>, and refuses to start, naming them, when some are not. A D1 that does
/// not answer in time is logged and start-up goes on (<c>/readyz</c> reports it), since a container must answer HTTP
/// within seconds.
/// </summary>
internal sealed partial class StorageInitializer(IServiceProvider services, IOptions<StorageOptions> options, ILogger<StorageInitializer> logger)
    : IHostedService
{
    private static readonly TimeSpan D1CheckLimit = TimeSpan.FromSeconds(10);

    public Task StartAsync(CancellationToken cancellationToken) => options.Value.Provider switch
    {
        StorageProvider.D1 => CheckD1Async(cancellationToken),
        StorageProvider.Postgres => MigratePostgresAsync(cancellationToken),
        _ => MigrateSqliteAsync(cancellationToken),
    };

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task MigrateSqliteAsync(CancellationToken cancellationToken)
    {
        var executor = services.GetRequiredService<SqliteExecutor>();
        executor.Initialize();
        var applied = await new SqliteMigrator(executor, options.Value.MigrationsPath).ApplyAsync(cancellationToken);
        LogReady(logger, executor.DatabasePath, applied.Count, applied);
    }

    private async Task MigratePostgresAsync(CancellationToken cancellationToken)
    {
        var executor = services.GetRequiredService<PostgresExecutor>();
        var applied = await new PostgresMigrator(executor, options.Value.PostgresMigrationsPath).ApplyAsync(cancellationToken);
        LogPostgresReady(logger, applied.Count, applied);
    }

    private async Task CheckD1Async(CancellationToken cancellationToken)
    {
        var shipped = SqliteMigrator.ListMigrations(options.Value.MigrationsPath);
        var executor = services.GetRequiredService<ISqlExecutor>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(D1CheckLimit);
        HashSet<string> applied;
        try
        {
            applied = (await executor.ExecuteAsync(new SqlStatement("SELECT name FROM d1_migrations"), limit.Token))
                .Rows.Select(row => row.GetString("name")).ToHashSet(StringComparer.Ordinal);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.Invalid)
        {
            applied = []; // no d1_migrations table: nothing was ever applied
        }
        catch (StorageException e)
        {
            LogD1Unavailable(logger, e);
            return;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogD1Unavailable(logger, e);
            return;
        }

        var missing = shipped.Where(name => !applied.Contains(name)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"D1 lacks {missing.Count} migration(s) this version needs: {string.Join(", ", missing)}. Apply them with "
                + "`npx wrangler d1 migrations apply confab --remote` in deploy/cloudflare (docs/deploy-cloudflare.md), then start again.");
        }

        LogD1Ready(logger, applied.Count);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Database {Path} ready; applied {Count} migration(s): {Names}")]
    private static partial void LogReady(ILogger logger, string path, int count, IReadOnlyList<string> names);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "PostgreSQL ready; applied {Count} migration(s): {Names}")]
    private static partial void LogPostgresReady(ILogger logger, int count, IReadOnlyList<string> names);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "D1 ready: {Count} migration(s) recorded, none missing.")]
    private static partial void LogD1Ready(ILogger logger, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "D1 did not answer at start-up; starting anyway, /readyz reports it until it does.")]
    private static partial void LogD1Unavailable(ILogger logger, Exception exception);
}
