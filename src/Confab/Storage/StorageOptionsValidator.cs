using Microsoft.Extensions.Options;

namespace Confab.Storage;

/// <summary>Start-up checks of <see cref="StorageOptions"/>, with messages that name the setting to change.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (options.Provider == StorageProvider.Sqlite)
        {
            if (string.IsNullOrWhiteSpace(options.DatabasePath))
            {
                failures.Add("Storage:DatabasePath (or DATABASE_PATH) must name the SQLite file.");
            }
        }
        else if (options.Provider == StorageProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
            {
                failures.Add(
                    "ConnectionStrings:Postgres (environment ConnectionStrings__Postgres) is required when Storage:Provider is Postgres: "
                    + "an Npgsql connection string, e.g. Host=127.0.0.1;Username=confab;Database=confab.");
            }
            else
            {
                try
                {
                    _ = new Npgsql.NpgsqlConnectionStringBuilder(options.PostgresConnectionString);
                }
                catch (ArgumentException e)
                {
                    failures.Add($"ConnectionStrings:Postgres is not a connection string Npgsql accepts: {e.Message}");
                }
            }
        }
        else
        {
            ValidateD1(options.D1, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateD1(D1Options d1, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(d1.BaseUrl))
        {
            failures.Add(
                "Storage:D1:BaseUrl is required when Storage:Provider is D1 (environment Storage__D1__BaseUrl): "
                + "http://d1.internal in a Cloudflare container, or "
                + "https://api.cloudflare.com/client/v4/accounts/<account_id>/d1/database/<database_id> with Storage:D1:Token.");
        }
        else if (!Uri.TryCreate(d1.BaseUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"Storage:D1:BaseUrl must be an absolute http:// or https:// URL, not '{d1.BaseUrl}'.");
        }
        else if (url.Host.Equals("api.cloudflare.com", StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(d1.Token))
        {
            failures.Add("Storage:D1:Token is required for D1's REST API (api.cloudflare.com): an API token with D1 edit permission.");
        }

        if (d1.Timeout <= TimeSpan.Zero || d1.Timeout > MaxTimeout)
        {
            failures.Add($"Storage:D1:Timeout must be more than 0 and at most {MaxTimeout}, not {d1.Timeout}.");
        }

        if (d1.MaxAttempts is < 1 or > 10)
        {
            failures.Add($"Storage:D1:MaxAttempts must be between 1 and 10, not {d1.MaxAttempts}.");
        }

        if (d1.RetryDelay < TimeSpan.Zero || d1.RetryDelay > MaxTimeout)
        {
            failures.Add($"Storage:D1:RetryDelay must be between 0 and {MaxTimeout}, not {d1.RetryDelay}.");
        }
    }
}
