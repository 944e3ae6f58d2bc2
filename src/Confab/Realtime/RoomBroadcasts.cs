using Confab.Channels;
using Confab.Messages;
using Confab.Telemetry;

namespace Confab.Realtime;

/// <summary>
/// Hands every room event this process commits (<c>new_message</c>, <c>message_updated</c>, <c>message_deleted</c>,
/// <c>reaction_added</c>, <c>reaction_removed</c>) to the <see cref="RoomEventStream"/>, which publishes each once, in seq
/// order, on <c>room:&lt;slug&gt;</c>, whichever transport made it. The payload is encoded once there; sockets write those
/// bytes, and in-process subscribers (the web UI) get the event itself (<see cref="IRoomEvent"/>) as <see cref="Broadcast.Value"/>.
/// </summary>
public sealed class RoomBroadcasts(MessageLog log, RoomEventStream stream, ConfabMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.Committed += Publish;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        log.Committed -= Publish;
        return Task.CompletedTask;
    }

    private void Publish(IReadOnlyList<CommittedEvent> committed)
    {
        foreach (var (room, name, payload, receivedAt) in committed)
        {
            stream.Receive(room, name, payload);
            metrics.MessageReached(ConfabMetricsStages.Delivered, receivedAt);
        }
    }
}
