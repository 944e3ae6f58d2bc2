namespace Confab.Api;

public static class ApiSetup
{
    /// <summary>Every HTTP request body is capped (the JSON API's largest, a 2,000-character message, is far below): 413 beyond.</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    /// <summary>
    /// snake_case JSON from the source-generated context, RFC 9457 problem details for every error (503 when the database
    /// is unavailable), and the request body cap.
    /// </summary>
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        services.AddExceptionHandler<StorageFailures>();
        // ASP.NET Core's request log prints the URL, and a socket's carries ?token=: off whatever the configuration says (it logs
        // nothing above Information). Off entirely, no request gets a log scope and an Activity for it, which a socket would
        // keep for as long as it stays open.
        services.Configure<LoggerFilterOptions>(options => options.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None));
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ConfabJsonContext.Default);
            // The context's own converters apply only to its own options: a replayed event's payload needs this one here.
            options.SerializerOptions.Converters.Add(new RoomEventEntryConverter());
        });
        services.AddProblemDetails();
        return services;
    }
}
