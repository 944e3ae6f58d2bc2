using Confab.Api;

namespace Confab.Accounts;

/// <summary>
/// <c>POST /api/users</c> registers; <c>POST /api/auth/token</c> trades credentials for a bearer token;
/// <c>POST /api/auth/login</c> and <c>/logout</c> manage the UI's cookie; <c>GET /api/auth/me</c> says who is signed in.
/// </summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/users", async (RegisterRequest request, Accounts accounts, CancellationToken ct) =>
        {
            var result = await accounts.RegisterAsync(request.Username, request.Email, request.Password, ct);
            return result.Outcome switch
            {
                RegisterOutcome.Registered => Results.Created($"/api/users/{result.User!.Id}", UserResponse.From(result.User)),
                RegisterOutcome.Conflict => Problems.Conflict(result.Errors!),
                _ => Problems.Validation(result.Errors!),
            };
        });

        var auth = endpoints.MapGroup("/api/auth");

        auth.MapPost("/token", async (CredentialsRequest request, Accounts accounts, AuthTokens tokens, CancellationToken ct) =>
        {
            var user = await accounts.AuthenticateAsync(request.Username, request.Password, ct);
            if (user is null)
            {
                return InvalidCredentials();
            }

            var issued = tokens.Issue(user);
            return Results.Ok(new TokenResponse(issued.Token, issued.ExpiresAt, UserResponse.From(user)));
        });

        auth.MapPost("/login", async (CredentialsRequest request, Accounts accounts, HttpContext context, CancellationToken ct) =>
        {
            var user = await accounts.AuthenticateAsync(request.Username, request.Password, ct);
            if (user is null)
            {
                return InvalidCredentials();
            }

            await CookieSession.SignInAsync(context, user);
            return Results.Ok(UserResponse.From(user));
        });

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

    private static IResult InvalidCredentials() => Problems.Unauthorized("Invalid username or password.");
}
