using Confab.Api;

namespace Confab.Accounts;

/// <summary>
/// <c>POST /api/users</c> registers; <c>POST /api/auth/token</c> trades credentials for a bearer token;
/// <c>POST /api/auth/login</c> and <c>/logout</c> manage the UI's cookie; <c>GET /api/auth/me</c> says who is signed in;
/// <c>GET /api/users?q=</c> finds people by username; <c>POST /api/users/{username}/deactivate</c> (server admins) ends a user's access.
/// Registration, token issue and log-in are rate-limited per IP and per username (<see cref="AccountLimits"/>).
/// </summary>
public static class AccountsApi
{
    private const int MaxUsersListed = 50;

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/users", async (RegisterRequest request, Accounts accounts, AccountLimits limits, HttpContext context, CancellationToken ct) =>
        {
            if (await limits.AttemptAsync(request.Username) is { } wait)
            {
                return Problems.TooManyRequests(context, AccountLimits.TooManyAttempts, wait);
            }

            var result = await accounts.RegisterAsync(request.Username, request.Email, request.Password, ct);
            return result.Outcome switch
            {
                RegisterOutcome.Registered => Results.Created($"/api/users/{result.User!.Id}", UserResponse.From(result.User)),
                RegisterOutcome.Conflict => Problems.Conflict(result.Errors!),
                _ => Problems.Validation(result.Errors!),
            };
        }).RequireRateLimiting(AccountLimits.RegisterPolicy);

        // People to start a conversation with or add to a room: active users by the start of their username.
        endpoints.MapGet("/api/users", async (string? q, int? limit, Storage.ChatStore store, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxUsersListed)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["limit"] = [$"must be between 1 and {MaxUsersListed}"] });
            }

            var prefix = q?.Trim() ?? "";
            if (prefix.Length > 100)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["q"] = ["must be at most 100 characters"] });
            }

            return Results.Ok(new UserSearchResponse(await store.FindUsersAsync(prefix, limit ?? 20, ct)));
        }).RequireAuthorization(AuthSetup.ApiUserPolicy);

        // A server admin ends a user's access: tokens, cookie sessions and open sockets.
        endpoints.MapPost("/api/users/{username}/deactivate", async (
            string username, HttpContext context, ServerAdmins admins, DeactivatedUsers deactivated, Storage.ChatStore store, TimeProvider time, CancellationToken ct) =>
        {
            if (!admins.Is(context.User.Username()))
            {
                return Problems.Forbidden("Only the server's admins (Confab:Admins) may deactivate users.");
            }

            if (username.Length > 100 || await store.FindUserAsync(username, ct) is not { } user)
            {
                return Problems.NotFound($"There is no user '{username}'.");
            }

            await deactivated.DeactivateAsync(user.Id, time.GetUtcNow(), ct);
            return Results.NoContent();
        }).RequireAuthorization(AuthSetup.ApiUserPolicy);

        var auth = endpoints.MapGroup("/api/auth");

        auth.MapPost("/token", async (CredentialsRequest request, Accounts accounts, AuthTokens tokens, AccountLimits limits, HttpContext context, CancellationToken ct) =>
        {
            var (user, refusal) = await CheckCredentialsAsync(request, accounts, limits, context, ct);
            if (user is null)
            {
                return refusal!;
            }

            var issued = tokens.Issue(user);
            return Results.Ok(new TokenResponse(issued.Token, issued.ExpiresAt, UserResponse.From(user)));
        }).RequireRateLimiting(AccountLimits.LogInPolicy);

        // A fresh token for the signed-in user (the room page in the browser renews its socket's with it). A cross-site page
        // cannot read the answer, so a GET is safe here.
        auth.MapGet("/token", async (HttpContext context, Confab.Storage.ChatStore store, AuthTokens tokens, CancellationToken ct) =>
        {
            var user = await store.GetUserAsync(context.User.UserId(), ct);
            if (user is null)
            {
                return Problems.Unauthorized("The account no longer exists.");
            }

            var issued = tokens.Issue(user);
            return Results.Ok(new TokenResponse(issued.Token, issued.ExpiresAt, UserResponse.From(user)));
        }).RequireAuthorization(AuthSetup.AnyUserPolicy);

        auth.MapPost("/login", async (CredentialsRequest request, Accounts accounts, AccountLimits limits, HttpContext context, CancellationToken ct) =>
        {
            var (user, refusal) = await CheckCredentialsAsync(request, accounts, limits, context, ct);
            if (user is null)
            {
                return refusal!;
            }

            await CookieSession.SignInAsync(context, user);
            return Results.Ok(UserResponse.From(user));
        }).RequireRateLimiting(AccountLimits.LogInPolicy);

        auth.MapPost("/logout", async (HttpContext context) =>
        {
            await CookieSession.SignOutAsync(context);
            return Results.NoContent();
        });

        auth.MapGet("/me", async (HttpContext context, Confab.Storage.ChatStore store, CancellationToken ct) =>
        {
            var user = await store.GetUserAsync(context.User.UserId(), ct);
            return user is null ? Problems.Unauthorized("The account no longer exists.") : Results.Ok(UserResponse.From(user));
        }).RequireAuthorization(AuthSetup.AnyUserPolicy);

        return endpoints;
    }

    /// <summary>The user; or, instead, 429 when the username had too many attempts, 401 when the credentials are wrong.</summary>
    private static async Task<(User? User, IResult? Refusal)> CheckCredentialsAsync(
        CredentialsRequest request, Accounts accounts, AccountLimits limits, HttpContext context, CancellationToken ct)
    {
        if (await limits.AttemptAsync(request.Username) is { } wait)
        {
            return (null, Problems.TooManyRequests(context, AccountLimits.TooManyAttempts, wait));
        }

        var user = await accounts.AuthenticateAsync(request.Username, request.Password, ct);
        return user is null ? (null, Problems.Unauthorized("Invalid username or password.")) : (user, null);
    }
}
