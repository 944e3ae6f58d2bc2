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
        IApplicationBuilder pipeline = endpoints.CreateApplicationBuilder();
        AddSocket<TSocket>(pipeline, SocketPath(path));
        return endpoints.Map(SocketPath(path), pipeline.Build()).WithDisplayName($"Phoenix socket {typeof(TSocket).Name}");
    }

    /// <summary>
    /// As <see cref="MapPhoenixSocket{TSocket}"/>, but as a branch of the middleware pipeline where it is called: requests for
    /// <c>{path}/websocket</c> go to the socket and never reach the middleware after it. Call it first. A socket's request
    /// lasts as long as the socket, and every middleware it passes through keeps its state alive that long (authentication
    /// handlers, response callbacks, each middleware's pending call): about 1.5 KB a socket in a typical app, which sockets
    /// authenticated by their connect params do not need.
    /// </summary>
    /// <exception cref="InvalidOperationException">AddPhoenixChannels or the socket registration is missing.</exception>
    public static IApplicationBuilder UsePhoenixSocket<TSocket>(this IApplicationBuilder app, string path)
        where TSocket : PhoenixSocket
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(path);
        var socketPath = new PathString(SocketPath(path));
        return app.MapWhen(context => context.Request.Path.Equals(socketPath, StringComparison.OrdinalIgnoreCase), branch => AddSocket<TSocket>(branch, socketPath.Value!));
    }

    private static string SocketPath(string path) => path.TrimEnd('/') + "/websocket";

    private static void AddSocket<TSocket>(IApplicationBuilder pipeline, string socketPath)
        where TSocket : PhoenixSocket
    {
        IServiceProvider services = pipeline.ApplicationServices;
        ChannelsRuntime runtime = services.GetService<ChannelsRuntime>()
            ?? throw new InvalidOperationException("Phoenix Channels services are missing: call services.AddPhoenixChannels().");
        TSocket socket = services.GetService<TSocket>()
            ?? throw new InvalidOperationException($"{typeof(TSocket).Name} is not registered: call services.AddPhoenixSocket<{typeof(TSocket).Name}>().");

        var router = new ChannelRouter();
        socket.Configure(router);
        var endpoint = new SocketEndpoint(socketPath, socket, router, runtime);
        runtime.AddEndpoint(endpoint);
        pipeline.Use(static (context, next) =>
        {
            BatchingUpgradeFeature.Install(context); // before UseWebSockets, which takes the upgrade feature it finds
            return next(context);
        });
        pipeline.UseWebSockets();
        pipeline.Run(endpoint.HandleAsync);
    }
}
