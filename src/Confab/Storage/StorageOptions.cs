namespace Confab.Storage;

/// <summary>Where messages live. Bound from the <c>Storage</c> section; <c>DATABASE_PATH</c> sets <see cref="DatabasePath"/>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The SQLite file, relative to the content root unless absolute. Default <c>data/confab.db</c>.</summary>
    public string DatabasePath { get; set; } = "data/confab.db";

    /// <summary>
    /// The folder of <c>NNNN_name.sql</c> migrations. Default: <c>db/migrations</c> beside the app's binaries,
    /// where the build copies the repository's <c>db/migrations</c>.
    /// </summary>
    public string MigrationsPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "db", "migrations");

    /// <summary>How long a statement waits for a lock held by another connection before failing. Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
