using System.Text.Json;
using Confab.Channels;
using Confab.Telemetry;

namespace Confab.Realtime;

/// <summary>
/// The user channel, topic <c>user:&lt;id&gt;</c>: one's own only (any other id is refused as <c>unauthorized</c>). It
/// carries what concerns the user across rooms, the same to every device (docs/protocol.md): <c>room_activity</c>,
/// <c>read_marker</c>, <c>mention</c>, <c>room_added</c>, <c>room_removed</c> and <c>account_deactivated</c>, published
/// by <see cref="Rooms.ReadState"/> and <see cref="Accounts.DeactivatedUsers"/> on the topic.
/// </summary>
public sealed class UserChannel(TimeProvider time, ConfabMetrics metrics) : UserBoundChannel(time)
{
    public const string TopicPrefix = "user:";

    public static string Topic(long userId) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{TopicPrefix}{userId}");

    public override ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        if (!IsAuthorized(out var user) || Context.Topic != Topic(user.Id))
        {
            metrics.Joined("unauthorized");
            return ValueTask.FromResult(JoinResult.Error(Reason("unauthorized")));
        }

        metrics.Joined("ok");
        return ValueTask.FromResult(JoinResult.Ok(JsonPayload.Empty));
    }

    public override ValueTask AfterJoinAsync(CancellationToken cancellationToken)
    {
        WatchExpiry();
        return ValueTask.CompletedTask;
    }
}
