using Confab.Api;
using Confab.Channels;
using Confab.Web.Chat;

namespace Confab.Realtime;

/// <summary>
/// A channel that acts for its socket's user (<see cref="SocketUser"/>) for as long as their token is valid: when it
/// expires, the channel pushes <c>token_expired</c> <c>{"reason": "token expired"}</c> and stops (<c>phx_close</c>).
/// </summary>
public abstract class UserBoundChannel(TimeProvider time) : Channel, IDisposable
{
    public const string TokenExpiredReason = RoomEvents.TokenExpiredReason;
    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(30);

    private ITimer? expiry;

    /// <summary>The socket's user, while their token is valid.</summary>
    protected bool IsAuthorized([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SocketUser? socketUser)
    {
        socketUser = Context.Socket.Assigns as SocketUser;
        return socketUser is not null && socketUser.TokenExpiresAt > time.GetUtcNow();
    }

    /// <summary>Starts the wait for the token's expiry (call once joined).</summary>
    protected void WatchExpiry() =>
        expiry = time.CreateTimer(static state => ((UserBoundChannel)state!).Expire(), this, UntilExpiry(), Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        expiry?.Dispose();
        GC.SuppressFinalize(this);
    }

    // Timers reach about 49 days: a longer-lived token is waited for in steps.
    private TimeSpan UntilExpiry()
    {
        var left = ((SocketUser)Context.Socket.Assigns!).TokenExpiresAt - time.GetUtcNow();
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left > MaxTimer ? MaxTimer : left;
    }

    private void Expire()
    {
        if (UntilExpiry() > TimeSpan.Zero)
        {
            expiry?.Change(UntilExpiry(), Timeout.InfiniteTimeSpan);
            return;
        }

        Context.Push(RoomEvents.TokenExpiredEvent, Reason(TokenExpiredReason));
        Context.Stop();
    }

    protected static JsonPayload Reason(string reason) => JsonPayload.Serialize(new ReasonReply(reason), ConfabJsonContext.Default.ReasonReply);
}
