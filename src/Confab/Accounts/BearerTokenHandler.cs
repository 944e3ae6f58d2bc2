using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Confab.Accounts;

/// <summary>Authenticates <c>Authorization: Bearer &lt;token&gt;</c> with <see cref="AuthTokens"/>.</summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AuthTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = tokens.Validate(header["Bearer ".Length..].Trim());
        return Task.FromResult(claims is null
            ? AuthenticateResult.Fail("The token is invalid or expired.")
            : AuthenticateResult.Success(new AuthenticationTicket(UserPrincipal.Create(claims.UserId, claims.Username, SchemeName), SchemeName)));
    }
}

/// <summary>The claims Confab puts on an authenticated user, whichever scheme authenticated them.</summary>
public static class UserPrincipal
{
    public static ClaimsPrincipal Create(long userId, string username, string scheme) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, userId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, username),
            ],
            scheme));

    public static long UserId(this ClaimsPrincipal principal) =>
        long.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier)!, System.Globalization.CultureInfo.InvariantCulture);

    public static string Username(this ClaimsPrincipal principal) => principal.FindFirstValue(ClaimTypes.Name)!;
}
