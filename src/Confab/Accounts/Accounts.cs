using System.Text.RegularExpressions;
using Confab.Storage;
using Microsoft.AspNetCore.Identity;

namespace Confab.Accounts;

/// <summary>Registering users and checking their passwords (ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>).</summary>
public sealed partial class Accounts(ChatStore store, TimeProvider time)
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 256;

    private static readonly PasswordHasher<User> Hasher = new();

    // Verified against when the user does not exist, so that a failed log-in costs the same either way.
    private static readonly Lazy<string> DecoyHash = new(() => Hasher.HashPassword(null!, "decoy password, never matches"));

    public async Task<RegisterResult> RegisterAsync(string? username, string? email, string? password, CancellationToken cancellationToken = default)
    {
        username = username?.Trim() ?? "";
        email = email?.Trim() ?? "";
        password ??= "";

        var errors = new Dictionary<string, string[]>();
        if (!UsernamePattern().IsMatch(username))
        {
            errors["username"] = ["username must be 3 to 32 characters of a-z, 0-9, _ and -"];
        }

        if (email.Length > 254 || !EmailPattern().IsMatch(email))
        {
            errors["email"] = ["email must be a valid email address"];
        }

        if (password.Length < MinPasswordLength)
        {
            errors["password"] = [$"password must be at least {MinPasswordLength} characters"];
        }
        else if (password.Length > MaxPasswordLength)
        {
            errors["password"] = [$"password must be at most {MaxPasswordLength} characters"];
        }

        if (errors.Count > 0)
        {
            return RegisterResult.Invalid(errors);
        }

        var user = await store.CreateUserAsync(username, email, Hasher.HashPassword(null!, password), time.GetUtcNow(), cancellationToken);
        if (user is not null)
        {
            return RegisterResult.Registered(user);
        }

        var (usernameTaken, emailTaken) = await store.FindTakenAsync(username, email, cancellationToken);
        var conflicts = new Dictionary<string, string[]>();
        if (usernameTaken)
        {
            conflicts["username"] = ["username has already been taken"];
        }

        if (emailTaken || !usernameTaken)
        {
            conflicts["email"] = ["email has already been taken"];
        }

        return RegisterResult.Conflict(conflicts);
    }

    /// <summary>The user with this username or email and password; null otherwise, without saying which part was wrong.</summary>
    public async Task<User?> AuthenticateAsync(string? login, string? password, CancellationToken cancellationToken = default)
    {
        login = login?.Trim() ?? "";
        password ??= "";
        var found = login.Length is > 0 and <= 254 && password.Length <= MaxPasswordLength
            ? await store.FindUserByLoginAsync(login, cancellationToken)
            : null;

        var hash = found?.PasswordHash ?? DecoyHash.Value;
        var verified = Hasher.VerifyHashedPassword(null!, hash, password) != PasswordVerificationResult.Failed;
        return found is { } user && verified ? user.User : null;
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{3,32}$")]
    private static partial Regex UsernamePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")]
    private static partial Regex EmailPattern();
}

public enum RegisterOutcome
{
    Registered,
    Invalid,
    Conflict,
}

public sealed record RegisterResult(RegisterOutcome Outcome, User? User, IReadOnlyDictionary<string, string[]>? Errors)
{
    public static RegisterResult Registered(User user) => new(RegisterOutcome.Registered, user, null);

    public static RegisterResult Invalid(IReadOnlyDictionary<string, string[]> errors) => new(RegisterOutcome.Invalid, null, errors);

    public static RegisterResult Conflict(IReadOnlyDictionary<string, string[]> errors) => new(RegisterOutcome.Conflict, null, errors);
}
