using Confab.Storage;
using Microsoft.Extensions.Options;

namespace Confab.Accounts;

/// <summary>Token and cookie settings. Bound from <c>Confab:Auth</c>; <c>SECRET_KEY_BASE</c> sets <see cref="SigningKey"/>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Confab:Auth";
    public const int MinimumKeyLength = 32;

    /// <summary>
    /// The secret that signs bearer tokens (at least 32 characters; 64 random bytes in base64 is a good choice).
    /// Required outside Development; Development generates one and keeps it beside the database (<c>data/dev_secret_key_base</c>).
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long a token from <c>POST /api/auth/token</c> is valid. Default 24 h.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            return ValidateOptionsResult.Fail(
                "No signing key is configured: set SECRET_KEY_BASE (or Confab:Auth:SigningKey) to a random secret of at least "
                + $"{AuthOptions.MinimumKeyLength} characters, e.g. the output of `openssl rand -base64 64`.");
        }

        if (options.SigningKey.Length < AuthOptions.MinimumKeyLength)
        {
            return ValidateOptionsResult.Fail(
                $"SECRET_KEY_BASE (Confab:Auth:SigningKey) is too short: use at least {AuthOptions.MinimumKeyLength} characters.");
        }

        return options.TokenLifetime <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Confab:Auth:TokenLifetime must be positive.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>Fills in <see cref="AuthOptions.SigningKey"/> from <c>SECRET_KEY_BASE</c>, or in Development from a generated file.</summary>
internal sealed class AuthOptionsSetup(IConfiguration configuration, IHostEnvironment environment, IOptions<StorageOptions> storage)
    : IPostConfigureOptions<AuthOptions>
{
    public void PostConfigure(string? name, AuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            options.SigningKey = configuration["SECRET_KEY_BASE"];
        }

        if (string.IsNullOrWhiteSpace(options.SigningKey) && environment.IsDevelopment())
        {
            // Beside the database it protects: data/dev_secret_key_base by default.
            options.SigningKey = DevelopmentKey(Path.Combine(Path.GetDirectoryName(storage.Value.DatabasePath)!, "dev_secret_key_base"));
        }
    }

    private static string DevelopmentKey(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64));
        File.WriteAllText(path, key);
        return key;
    }
}
