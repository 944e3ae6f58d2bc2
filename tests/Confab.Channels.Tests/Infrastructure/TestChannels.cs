using System.Text.Json;
using System.Text.Json.Nodes;

namespace Confab.Channels.Tests.Infrastructure;

/// <summary>
/// Accepts <c>token=good</c> (or the authToken <c>s3cr3t-token?</c>); refuses <c>token=busy</c> with 429 and a reason, and
/// everything else with a plain 403. Every accepted socket's end is recorded in <see cref="Probe.Disconnects"/>.
/// </summary>
public sealed class TestSocket(Probe probe) : PhoenixSocket
{
    public const string GoodAuthToken = "s3cr3t-token?";

    public override void Configure(ChannelRouter router) => router
        .Channel<EchoChannel>("echo:*")
        .Channel<EchoChannel>("lobby")
        .Channel<EchoChannel>("bin:*")
        .Channel<JoinErrorChannel>("denied:*")
        .Channel<JoinCrashChannel>("crash_join:*")
        .Channel<PresenceChannel>("presence:*")
        .Channel<GatedJoinChannel>("gated:*");

    public override ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context)
    {
        probe.LastConnect = context;
        bool accepted = context.AuthToken == GoodAuthToken
            || (context.Params.TryGetValue("token", out string? token) && token == "good");
        if (context.Params.GetValueOrDefault("token") == "busy")
        {
            return ValueTask.FromResult(ConnectResult.Refuse(429, BusyReason));
        }

        return ValueTask.FromResult(accepted
            ? ConnectResult.Accept(context.Params.GetValueOrDefault("user"), context.Params.GetValueOrDefault("id"))
            : ConnectResult.Refuse());
    }

    public const string BusyReason = "Too busy: try again — later.";

    public override void Disconnected(SocketContext socket) => probe.Disconnects.Enqueue(socket.ConnectionId);
}

/// <summary>
/// Echoes pushes (ok reply with the payload). Special events: boom (throws), stop (Stop then reply), slow (waits
/// for the gate named by payload.id), push, push_binary, broadcast, broadcast_from, noreply, custom.
/// A join payload with "after_join_boom" makes AfterJoinAsync throw, "terminate_boom" TerminateAsync.
/// </summary>
public sealed class EchoChannel(Probe probe) : Channel, IDisposable
{
    private bool _afterJoinBoom;
    private bool _terminateBoom;

    public override ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        _afterJoinBoom = payload.TryGetProperty("after_join_boom", out _);
        _terminateBoom = payload.TryGetProperty("terminate_boom", out _);
        probe.Record($"join {Context.Topic} {Context.JoinRef} assigns={Context.Socket.Assigns}");
        return ValueTask.FromResult(JoinResult.Ok(JsonPayload.FromElement(payload)));
    }

    public override ValueTask AfterJoinAsync(CancellationToken cancellationToken)
        => _afterJoinBoom ? throw new InvalidOperationException("after join boom") : ValueTask.CompletedTask;

    public override async ValueTask<Reply?> HandleInAsync(string @event, JsonElement payload, CancellationToken cancellationToken)
    {
        switch (@event)
        {
            case "boom":
                throw new InvalidOperationException("boom");
            case "stop":
                Context.Stop();
                return Reply.Ok(JsonPayload.Parse("""{"stopping":true}"""));
            case "slow":
                string id = payload.GetProperty("id").GetString()!;
                probe.EnterSlow();
                try
                {
                    await probe.Gate(id);
                }
                finally
                {
                    probe.ExitSlow();
                }

                if (payload.TryGetProperty("boom", out _))
                {
                    throw new InvalidOperationException("slow boom");
                }

                return Reply.Ok(JsonPayload.FromElement(payload));
            case "push":
                Context.Push("server_push", JsonPayload.FromElement(payload));
                return null;
            case "push_binary":
                Context.PushBinary("bin_push", [0xca, 0xfe]);
                return null;
            case "broadcast":
                await Context.BroadcastAsync("shout", JsonPayload.FromElement(payload));
                return Reply.Ok();
            case "broadcast_from":
                await Context.BroadcastFromAsync("shout", JsonPayload.FromElement(payload));
                return Reply.Ok();
            case "noreply":
                return null;
            case "custom":
                return Reply.Create("custom", JsonPayload.FromElement(payload));
            default:
                return Reply.Ok(JsonPayload.FromElement(payload));
        }
    }

    public override ValueTask<Reply?> HandleBinaryInAsync(string @event, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        => ValueTask.FromResult<Reply?>(Reply.Binary("ok", payload.ToArray()));

    public override ValueTask TerminateAsync(ChannelTerminateReason reason)
    {
        probe.Record($"terminate {Context.Topic} {Context.JoinRef} {reason}");
        return _terminateBoom ? throw new InvalidOperationException("terminate boom") : ValueTask.CompletedTask;
    }

    public void Dispose() => probe.Record($"dispose {Context.Topic} {Context.JoinRef}");
}

/// <summary>
/// Records <c>joining {topic}</c>, then waits in <see cref="JoinAsync"/> for the probe's gate named by the topic; the join
/// payload <c>{"fail":true}</c> refuses it. A broadcast whose payload has <c>"replied":true</c> is not delivered (as if
/// the reply carried it); one with <c>"hold":"g"</c> waits in <see cref="ShouldDeliver"/> for the gate g.
/// </summary>
public sealed class GatedJoinChannel(Probe probe) : Channel
{
    public override async ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        probe.Record($"joining {Context.Topic}");
        await probe.Gate(Context.Topic);
        return payload.TryGetProperty("fail", out _)
            ? JoinResult.Error(JsonPayload.Parse("""{"reason":"refused"}"""))
            : JoinResult.Ok();
    }

    public override bool ShouldDeliver(Broadcast broadcast)
    {
        using JsonDocument payload = JsonDocument.Parse(broadcast.Payload.Utf8);
        if (payload.RootElement.TryGetProperty("hold", out JsonElement gate))
        {
            probe.Record("delivering");
            probe.Gate(gate.GetString()!).Wait();
        }

        return !payload.RootElement.TryGetProperty("replied", out _);
    }
}

public sealed class JoinErrorChannel : Channel
{
    public override ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
        => ValueTask.FromResult(JoinResult.Error(JsonPayload.Parse("""{"reason":"unauthorized"}""")));
}

public sealed class JoinCrashChannel : Channel
{
    public override ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
        => throw new InvalidOperationException("join boom");
}

/// <summary>
/// Join payload <c>{"user":"alice","device":"phone"}</c>; tracks itself after the join and pushes the state.
/// "update" with <c>{"status":"away"}</c> updates the meta.
/// </summary>
public sealed class PresenceChannel(Probe probe) : Channel
{
    private string _user = "";
    private string _device = "";
    private PresenceHandle? _presence;

    public override ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        _user = payload.GetProperty("user").GetString()!;
        _device = payload.GetProperty("device").GetString()!;
        return ValueTask.FromResult(JoinResult.Ok());
    }

    public override ValueTask AfterJoinAsync(CancellationToken cancellationToken)
    {
        _presence = Context.TrackPresence(_user, new JsonObject { ["device"] = _device, ["online_at"] = "1700000000" });
        Context.PushPresenceState();
        return ValueTask.CompletedTask;
    }

    public override ValueTask<Reply?> HandleInAsync(string @event, JsonElement payload, CancellationToken cancellationToken)
    {
        if (@event == "update")
        {
            _presence!.Update(new JsonObject { ["device"] = _device, ["status"] = payload.GetProperty("status").GetString() });
            return ValueTask.FromResult<Reply?>(Reply.Ok());
        }

        return ValueTask.FromResult<Reply?>(null);
    }

    public override ValueTask TerminateAsync(ChannelTerminateReason reason)
    {
        probe.Record($"terminate {Context.Topic} {_user} {reason}");
        return ValueTask.CompletedTask;
    }
}
