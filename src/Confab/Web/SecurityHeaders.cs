using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Confab.Web;

/// <summary>
/// Headers that tell browsers what this app may do: on every response <c>X-Content-Type-Options: nosniff</c> and
/// <c>Referrer-Policy: same-origin</c>; on HTML a Content-Security-Policy; outside Development, HSTS on HTTPS.
/// </summary>
/// <remarks>
/// The policy allows scripts from this origin only, plus the one inline script Blazor renders, the import map of
/// <c>&lt;ImportMap /&gt;</c>, by a fresh nonce per response (<see cref="Nonce"/>). No <c>unsafe-eval</c> (only
/// <c>'wasm-unsafe-eval'</c> when the room page runs on WebAssembly, whose runtime the browser must compile), no inline
/// styles (avatars take their colour from a class), no framing (<c>frame-ancestors 'none'</c>); the Blazor circuit's
/// WebSocket, the Phoenix socket and the pages' fetches go to this origin (<c>connect-src 'self'</c>).
/// </remarks>
public static class SecurityHeaders
{
    private const string NonceKey = "confab.csp-nonce";

    /// <summary>The nonce of this response's inline script (created on first use).</summary>
    public static string Nonce(HttpContext context)
    {
        if (context.Items[NonceKey] is not string nonce)
        {
            nonce = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
            context.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    /// <param name="nonce">The nonce of the response's inline script.</param>
    /// <param name="webAssembly">The room page runs in the browser: .NET's WebAssembly runtime must be compiled there.</param>
    public static string ContentSecurityPolicy(string nonce, bool webAssembly) =>
        $"default-src 'self'; script-src 'self' 'nonce-{nonce}'{(webAssembly ? " 'wasm-unsafe-eval'" : "")}; style-src 'self'; img-src 'self' data:; " +
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        var webAssembly = app.Services.GetRequiredService<IOptions<WebOptions>>().Value.RoomRenderMode == RoomRenderMode.WebAssembly;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(state =>
            {
                var context = (HttpContext)state;
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy(Nonce(context), webAssembly);
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
        return app;
    }
}
