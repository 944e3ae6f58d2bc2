using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Confab.Accounts;

/// <summary>The web UI's signed-in session: an HttpOnly, SameSite=Lax cookie protected by Data Protection.</summary>
public static class CookieSession
{
    public static Task SignInAsync(HttpContext context, User user) =>
        context.SignInAsync(
            CookieAuthenticationDefaults.AuthenticationScheme,
            UserPrincipal.Create(user.Id, user.Username, CookieAuthenticationDefaults.AuthenticationScheme));

    public static Task SignOutAsync(HttpContext context) => context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);

    /// <summary>Where to go after logging in: a path on this site, never another site (<c>//evil.example</c>).</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 1 } url && url[0] == '/' && url[1] is not '/' and not '\\' ? url : "/rooms";
}
