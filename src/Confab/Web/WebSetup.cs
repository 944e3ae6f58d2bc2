using Confab.Accounts;
using Confab.Web.Chat;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;

namespace Confab.Web;

public static class WebSetup
{
    /// <summary>
    /// The web UI: Blazor, served by the same process as the API and sockets, with the room page interactive on the server
    /// or in the browser (<see cref="WebOptions.RoomRenderMode"/>).
    /// </summary>
    public static IServiceCollection AddWeb(this IServiceCollection services)
    {
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.Section).ValidateOnStart();
        services.AddRazorComponents().AddInteractiveServerComponents().AddInteractiveWebAssemblyComponents();
        services.AddScoped<IRoomLinks, ServerRoomLinks>();
        services.AddScoped<IUserLinks, ServerUserLinks>();
        services.AddCascadingAuthenticationState();
        // Antiforgery refuses to work over plain HTTP with Always: its cookie is Secure whenever the request is.
        services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        services.Configure<HubOptions>(options => options.AddFilter(new CircuitHubFilter()));
        services.AddScoped<CircuitConnection>();
        services.AddScoped<CircuitHandler>(provider => provider.GetRequiredService<CircuitConnection>());
        return services;
    }

    /// <summary>Pages for people (HTML errors), and problem details for programs (<c>/api</c>).</summary>
    public static WebApplication UseErrorPages(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/api"),
            api => api.UseStatusCodePages());
        app.UseWhen(context => !ForPrograms(context.Request.Path), pages => pages.UseStatusCodePagesWithReExecute("/not-found"));
        return app;
    }

    // Paths whose callers are programs: their status codes must reach them as they are, not as an HTML page.
    private static bool ForPrograms(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/socket") || path.StartsWithSegments("/metrics")
        || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/_blazor");

    public static WebApplication MapWeb(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().AddInteractiveWebAssemblyRenderMode();
        app.MapPost("/logout", async (HttpContext context) =>
        {
            // The middleware only records the verdict; an endpoint that binds no form must act on it itself.
            if (context.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
            {
                return Results.Text("A valid antiforgery token was not provided.", statusCode: StatusCodes.Status400BadRequest);
            }

            await CookieSession.SignOutAsync(context);
            return Results.LocalRedirect("/login");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }
}
