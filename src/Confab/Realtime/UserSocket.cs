using Confab.Accounts;
using Confab.Channels;
using Confab.Rooms;

namespace Confab.Realtime;

/// <summary>
/// Confab's Phoenix socket at <c>/socket/websocket</c>: a connect needs a bearer token from <c>POST /api/auth/token</c>,
/// as the <c>token</c> param (<c>?token=...&amp;vsn=2.0.0</c>) or through the <c>authToken</c> subprotocol.
/// Missing, invalid or expired: HTTP 403 before the upgrade. Beyond the open sockets a user or a client address may hold
/// (<see cref="SocketQuota"/>): HTTP 429 with the reason as the body.
/// </summary>
public sealed class UserSocket(AuthTokens tokens, SocketQuota quota) : PhoenixSocket
{
    public override void Configure(ChannelRouter router)
    {
        router.Channel<RoomChannel>(RoomActivity.TopicPrefix + "*");
        router.Channel<UserChannel>(UserChannel.TopicPrefix + "*");
    }

    public override ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context)
    {
        var token = context.Params.TryGetValue("token", out var fromParams) ? fromParams : context.AuthToken;
        if (tokens.Validate(token) is not { } claims)
        {
            return ValueTask.FromResult(ConnectResult.Refuse());
        }

        var address = quota.AddressOf(context.HttpContext);
        return ValueTask.FromResult(quota.TryOpen(claims.UserId, address, out var refusal)
            ? ConnectResult.Accept(new SocketUser(claims.UserId, claims.Username, claims.ExpiresAt, address), socketId: SocketId(claims.UserId))
            : ConnectResult.Refuse(StatusCodes.Status429TooManyRequests, refusal!));
    }

    /// <summary>Broadcast on a <see cref="SocketId"/>, it closes every socket of the user (and ends their open room pages).</summary>
    public const string DisconnectEvent = "disconnect";

    /// <summary>The id of every socket of a user: a <c>disconnect</c> broadcast on it closes them all.</summary>
    public static string SocketId(long userId) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"user_socket:{userId}");

    public override void Disconnected(SocketContext socket)
    {
        if (socket.Assigns is SocketUser user)
        {
            quota.Close(user.Id, user.Address);
        }
    }
}

/// <summary>Who a socket belongs to, from its token, and the client address it was opened from.</summary>
public sealed record SocketUser(long Id, string Username, DateTimeOffset TokenExpiresAt, string Address);
