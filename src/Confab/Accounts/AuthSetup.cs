using Confab.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Confab.Accounts;

public static class AuthSetup
{
    /// <summary>Bearer tokens only: what the REST API requires.</summary>
    public const string ApiUserPolicy = "api-user";

    /// <summary>A bearer token or the UI's cookie.</summary>
    public const string AnyUserPolicy = "any-user";

    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<AuthOptions>, AuthOptionsSetup>();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DeactivatedUsers>();
        services.AddHostedService(provider => provider.GetRequiredService<DeactivatedUsers>());
        services.AddSingleton<AuthTokens>(provider => new AuthTokens(
            provider.GetRequiredService<IOptions<AuthOptions>>(), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<DeactivatedUsers>()));
        services.AddSingleton<Accounts>();
        services.AddAccountLimits();

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddCookie(options =>
            {
                options.Cookie.Name = "confab_session";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.SlidingExpiration = true;
                options.ExpireTimeSpan = TimeSpan.FromDays(14);
                options.LoginPath = "/login";
                // An API caller gets a status code, never a redirect to a page.
                options.Events.OnRedirectToLogin = context => Deny(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Deny(context, StatusCodes.Status403Forbidden);
                // A deactivated user's session ends on their next request.
                options.Events.OnValidatePrincipal = async context =>
                {
                    if (context.Principal is { } principal && context.HttpContext.RequestServices.GetRequiredService<DeactivatedUsers>().Contains(principal.UserId()))
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                };
            });

        // Secure outside Development (production sits behind TLS, perhaps terminated by a proxy, so never "same as request").
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IHostEnvironment>((options, environment) => options.Cookie.SecurePolicy = SecurePolicy(environment));

        services.AddAuthorizationBuilder()
            .AddPolicy(ApiUserPolicy, policy => policy.AddAuthenticationSchemes(BearerTokenHandler.SchemeName).RequireAuthenticatedUser())
            .AddPolicy(AnyUserPolicy, policy => policy
                .AddAuthenticationSchemes(BearerTokenHandler.SchemeName, CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser());

        // Cookie keys live in the database, so sessions survive restarts and hold on every node, encrypted under the secret.
        services.AddDataProtection().SetApplicationName("Confab");
        services.AddOptions<KeyManagementOptions>()
            .Configure<ChatStore, IOptions<AuthOptions>>((options, store, auth) =>
            {
                options.XmlRepository = new DatabaseXmlRepository(store);
                options.XmlEncryptor = new SecretXmlEncryptor(auth);
            });
        return services;
    }

    /// <summary>Who is calling (cookie or bearer token), what they may do, and how often they may try to log in.</summary>
    public static WebApplication UseAccounts(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    public static CookieSecurePolicy SecurePolicy(IHostEnvironment environment) =>
        environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;

    private static Task Deny(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
