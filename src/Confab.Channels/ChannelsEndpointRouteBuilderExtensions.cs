using Confab.Channels.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Channels;

/// <summary>Maps Phoenix sockets.</summary>
public static class ChannelsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>{path}/websocket</c> to <typeparamref name="TSocket"/> (resolved from DI, configured once now):
    /// <c>MapPhoenixSocket&lt;UserSocket&gt;("/socket")</c> serves phoenix.js's <c>new Socket("/socket")</c> at
    /// <c>GET /socket/websocket?token=…&amp;vsn=2.0.0</c>. WebSocket support is part of the endpoint; the app need not
    /// call <c>UseWebSockets()</c>. Origins are checked by <see cref="ChannelOptions.CheckOrigin"/> before connect.
    /// </summary>
    /// <remarks>
    /// The library never logs query strings, but ASP.NET Core's request logging
    /// (<c>Microsoft.AspNetCore.Hosting.Diagnostics</c> at Information) prints the URL with <c>?token=…</c>; raise that
    /// category to Warning, or redact it, when connect params carry secrets.
    /// </remarks>
    /// <exception cref="InvalidOperationException">AddPhoenixChannels or the socket registration is missing.</exception>
    public static IEndpointConventionBuilder MapPhoenixSocket<TSocket>(this IEndpointRouteBuilder endpoints, string path)
        where TSocket : PhoenixSocket
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(path);
        IServiceProvider services = endpoints.ServiceProvider;
        ChannelsRuntime runtime = services.GetService<ChannelsRuntime>()
            ?? throw new InvalidOperationException("Phoenix Channels services are missing: call services.AddPhoenixChannels().");
        TSocket socket = services.GetService<TSocket>()
            ?? throw new InvalidOperationException($"{typeof(TSocket).Name} is not registered: call services.AddPhoenixSocket<{typeof(TSocket).Name}>().");

        var router = new ChannelRouter();
        socket.Configure(router);
        var endpoint = new SocketEndpoint(socket, router, runtime);

        IApplicationBuilder pipeline = endpoints.CreateApplicationBuilder();
        pipeline.Use(static (context, next) =>
        {
            BatchingUpgradeFeature.Install(context); // before UseWebSockets, which takes the upgrade feature it finds
            return next(context);
        });
        pipeline.UseWebSockets();
        pipeline.Run(endpoint.HandleAsync);
        return endpoints.Map(path.TrimEnd('/') + "/websocket", pipeline.Build())
            .WithDisplayName($"Phoenix socket {typeof(TSocket).Name}");
    }
}
