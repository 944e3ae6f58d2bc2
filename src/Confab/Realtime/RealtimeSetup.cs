using Confab.Channels;

namespace Confab.Realtime;

public static class RealtimeSetup
{
    /// <summary>
    /// The Phoenix Channels server (<c>Channels</c> section), Confab's socket and room channel, and live message broadcasts.
    /// Socket origins are checked against <c>Confab:Host</c> (or <c>PHX_HOST</c>), else the request's own host, unless
    /// <c>Channels:AllowedOrigins</c> lists them.
    /// </summary>
    public static IServiceCollection AddRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPhoenixChannels(options =>
        {
            configuration.GetSection("Channels").Bind(options);
            options.Host ??= configuration["Confab:Host"] ?? configuration["PHX_HOST"];
        });
        services.AddPhoenixSocket<UserSocket>();
        services.AddOptions<RealtimeOptions>().BindConfiguration(RealtimeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SocketQuota>();
        services.AddSingleton<RoomEventStream>();
        services.AddHostedService<RoomBroadcasts>();
        return services;
    }

    /// <summary>
    /// The socket at <c>/socket/websocket</c>, ahead of the rest of the pipeline (call it first): a socket authenticates with
    /// its token, and the middleware it would otherwise pass through (error pages, security headers, cookie authentication,
    /// authorization, rate limiting, antiforgery) would keep its per-request state alive for as long as the socket stays open.
    /// </summary>
    public static WebApplication UseRealtime(this WebApplication app)
    {
        app.UsePhoenixSocket<UserSocket>("/socket");
        return app;
    }
}
