namespace Confab.Storage;

/// <summary>
/// Where Confab's data lives. Bound from the <c>Storage</c> section; <c>DATABASE_PATH</c> sets <see cref="DatabasePath"/>.
/// Checked at start-up by <see cref="StorageOptionsValidator"/>.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>
    /// <see cref="StorageProvider.Sqlite"/> (default): a local file, migrated by Confab at start-up.
    /// <see cref="StorageProvider.D1"/>: Cloudflare D1 over HTTP (<see cref="D1"/>), migrated by
    /// <c>wrangler d1 migrations apply</c>; Confab only checks at start-up that every migration was applied.
    /// <see cref="StorageProvider.Postgres"/>: PostgreSQL (<see cref="PostgresConnectionString"/>), which several nodes
    /// share, migrated by Confab at start-up from <see cref="PostgresMigrationsPath"/>.
    /// </summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The SQLite file. Default <c>data/confab.db</c>; a relative path is taken from the working directory (where
    /// <c>dotnet run</c> was typed), and made absolute when the options are bound.
    /// </summary>
    public string DatabasePath { get; set; } = "data/confab.db";

    /// <summary>
    /// The folder of <c>NNNN_name.sql</c> migrations. Default: <c>db/migrations</c> beside the app's binaries,
    /// where the build copies the repository's <c>db/migrations</c>.
    /// </summary>
    public string MigrationsPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "db", "migrations");

    /// <summary>
    /// The PostgreSQL migrations (<c>db/postgres</c>: the same files as <see cref="MigrationsPath"/>, in PostgreSQL's
    /// dialect). Default: beside the app's binaries.
    /// </summary>
    public string PostgresMigrationsPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "db", "postgres");

    /// <summary>
    /// Npgsql's connection string, from <c>ConnectionStrings:Postgres</c> (environment <c>ConnectionStrings__Postgres</c>),
    /// e.g. <c>Host=db;Username=confab;Password=...;Database=confab</c>. Never logged.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>How long a SQLite statement waits for a lock held by another connection before failing. Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How to reach D1 when <see cref="Provider"/> is <see cref="StorageProvider.D1"/> (section <c>Storage:D1</c>).</summary>
    public D1Options D1 { get; set; } = new();
}

public enum StorageProvider
{
    /// <summary>A local SQLite file (<see cref="StorageOptions.DatabasePath"/>).</summary>
    Sqlite,

    /// <summary>Cloudflare D1 over its HTTP JSON contract (<see cref="StorageOptions.D1"/>).</summary>
    D1,

    /// <summary>PostgreSQL (<see cref="StorageOptions.PostgresConnectionString"/>): the database a cluster of nodes shares.</summary>
    Postgres,
}

/// <summary>How <see cref="D1Executor"/> reaches D1. Section <c>Storage:D1</c>.</summary>
public sealed class D1Options
{
    /// <summary>
    /// Where the D1 contract is served; the executor POSTs to <c>{BaseUrl}/query</c>. No default:
    /// <c>http://d1.internal</c> inside a Cloudflare container (the Worker's outbound handler, deploy/cloudflare);
    /// <c>https://api.cloudflare.com/client/v4/accounts/{account_id}/d1/database/{database_id}</c> for the REST API
    /// (with <see cref="Token"/>); <c>http://127.0.0.1:{port}/__d1</c> for <c>wrangler dev</c> in tests.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c> when set: an API token with D1 edit rights, for the REST API. Never logged.</summary>
    public string? Token { get; set; }

    /// <summary>How long one attempt may take before it counts as failed. Default 10 s (D1 allows a query 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per request, the first included, for failures worth a retry. Default 3; 1 turns retries off.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait before the first retry; each further retry waits twice as long (with jitter). Default 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
