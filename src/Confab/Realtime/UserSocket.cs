using Confab.Accounts;
using Confab.Channels;

namespace Confab.Realtime;

/// <summary>
/// Confab's Phoenix socket at <c>/socket/websocket</c>: a connect needs a bearer token from <c>POST /api/auth/token</c>,
/// as the <c>token</c> param (<c>?token=...&amp;vsn=2.0.0</c>) or through the <c>authToken</c> subprotocol.
/// Missing, invalid or expired: HTTP 403 before the upgrade.
/// </summary>
public sealed class UserSocket(AuthTokens tokens) : PhoenixSocket
{
    public override void Configure(ChannelRouter router) => router.Channel<RoomChannel>(RoomChannel.TopicPrefix + "*");

    public override ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context)
    {
        var token = context.Params.TryGetValue("token", out var fromParams) ? fromParams : context.AuthToken;
        var claims = tokens.Validate(token);
        return ValueTask.FromResult(claims is null
            ? ConnectResult.Refuse()
            : ConnectResult.Accept(new SocketUser(claims.UserId, claims.Username, claims.ExpiresAt), socketId: $"user_socket:{claims.UserId}"));
    }
}

/// <summary>Who a socket belongs to, from its token.</summary>
public sealed record SocketUser(long Id, string Username, DateTimeOffset TokenExpiresAt);
