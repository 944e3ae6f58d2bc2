namespace Confab.Channels;

/// <summary>
/// The application's socket, like a Phoenix <c>UserSocket</c> module: it authenticates connections and routes topics
/// to channels. Register it as a singleton (<see cref="ChannelsServiceCollectionExtensions.AddPhoenixSocket{TSocket}"/>)
/// and map it with <see cref="ChannelsEndpointRouteBuilderExtensions.MapPhoenixSocket{TSocket}"/>.
/// </summary>
/// <example>
/// <code>
/// public sealed class UserSocket(TokenService tokens) : PhoenixSocket
/// {
///     public override void Configure(ChannelRouter router) => router.Channel&lt;RoomChannel&gt;("room:*");
///
///     public override ValueTask&lt;ConnectResult&gt; ConnectAsync(SocketConnectContext context)
///     {
///         string? token = context.AuthToken ?? context.Params.GetValueOrDefault("token");
///         return ValueTask.FromResult(tokens.TryValidate(token, out var user)
///             ? ConnectResult.Accept(user, $"user_socket:{user.Id}")
///             : ConnectResult.Refuse());
///     }
/// }
/// </code>
/// </example>
public abstract class PhoenixSocket
{
    /// <summary>
    /// Declares the channel routes, once, when the socket is mapped: <c>router.Channel&lt;RoomChannel&gt;("room:*")</c>.
    /// </summary>
    public abstract void Configure(ChannelRouter router);

    /// <summary>
    /// Authenticates a connection. Runs before the WebSocket upgrade: <see cref="ConnectResult.Refuse()"/> answers
    /// <c>GET /socket/websocket?token=…&amp;vsn=2.0.0</c> with a plain HTTP 403 and an empty body.
    /// </summary>
    public abstract ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context);

    /// <summary>
    /// Called once for every connection <see cref="ConnectAsync"/> accepted, when it has ended: the socket closed, or its
    /// upgrade failed after the accept. Release here what the connect took (a count of open sockets, say). Runs after
    /// every channel of the socket has left; it should not throw.
    /// </summary>
    public virtual void Disconnected(SocketContext socket)
    {
    }
}
