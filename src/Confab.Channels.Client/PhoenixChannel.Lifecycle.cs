using Confab.Channels.Client.Internal;

namespace Confab.Channels.Client;

// The channel's state machine, driven by the socket (messages, opens, closes) and by its timers: join replies and
// timeouts, rejoins, server closes and crashes, phoenix.js's rules throughout. The public surface is in PhoenixChannel.cs.
public sealed partial class PhoenixChannel
{
    /// <summary>A message for this topic from the socket.</summary>
    internal void Receive(PhoenixMessage message)
    {
        if (message.JoinRef is not null && message.JoinRef != _joinRef)
        {
            return; // for an earlier join of this topic
        }

        switch (message.Event)
        {
            case "phx_reply":
                Replied(message.Ref, PhoenixReply.From(message.Payload));
                break;
            case "phx_close":
                CloseLocally();
                break;
            case "phx_error":
                ServerError();
                break;
            default:
                if (_state is not (PhoenixChannelState.Leaving or PhoenixChannelState.Closed))
                {
                    foreach (var binding in _bindings)
                    {
                        if (binding.Event == message.Event)
                        {
                            _socket.Guard(binding.Handler, message.Payload);
                        }
                    }
                }

                break;
        }
    }

    /// <summary>The socket (re)opened: an errored channel rejoins at once.</summary>
    internal void SocketOpened()
    {
        _rejoin.Reset();
        if (_state == PhoenixChannelState.Errored)
        {
            Rejoin();
        }
    }

    /// <summary>The connection ended: the server has dropped the channel.</summary>
    internal void SocketClosed()
    {
        bool errored;
        bool leaving;
        lock (_socket.Gate)
        {
            _rejoin.Reset();
            leaving = _state == PhoenixChannelState.Leaving;
            errored = _state is PhoenixChannelState.Joined or PhoenixChannelState.Joining;
            if (errored)
            {
                AbandonJoin();
                _state = PhoenixChannelState.Errored;
            }
        }

        if (leaving)
        {
            CloseLocally(); // the server dropped the channel with the connection: the leave is done
        }
        else if (errored)
        {
            _socket.Guard(static errored => errored?.Invoke(), Errored);
        }
    }

    private void Rejoin()
    {
        byte[] payload;
        try
        {
            payload = _writeJoinParams is null ? "{}"u8.ToArray() : PhoenixMessage.Json(_writeJoinParams);
        }
        catch (Exception e)
        {
            // The caller's params function failed: report it and try again later, as after a refused join.
            _socket.Report(e);
            lock (_socket.Gate)
            {
                _state = PhoenixChannelState.Errored;
                _rejoin.Schedule();
            }

            return;
        }

        _socket.LeaveOpenTopic(Topic, except: this);
        lock (_socket.Gate)
        {
            if (_state == PhoenixChannelState.Leaving || _left)
            {
                return; // left meanwhile
            }

            AbandonJoin();
            var join = _joinPush = new OutgoingPush("phx_join", payload);
            _joinRef = join.Ref = _socket.MakeRef();
            _state = PhoenixChannelState.Joining;
            join.StartTimeout(_socket.Options.TimeProvider, _joinTimeout, JoinTimedOut);
            if (!_socket.Send(PhoenixMessage.Encode(_joinRef, _joinRef, Topic, join.Event, join.Payload), join))
            {
                join.Complete(PhoenixReply.OutgoingBufferFull);
            }
        }
    }

    private void RejoinAfterWait()
    {
        if (_state == PhoenixChannelState.Errored && _socket.IsConnected)
        {
            Rejoin();
        }
    }

    private void Replied(string? @ref, PhoenixReply reply)
    {
        OutgoingPush? push = null;
        bool isJoin;
        lock (_socket.Gate)
        {
            isJoin = _joinPush is { } join && join.Ref == @ref;
            if (isJoin)
            {
                push = _joinPush;
                _joinPush = null;
                if (_state == PhoenixChannelState.Joining)
                {
                    if (reply.IsOk)
                    {
                        _state = PhoenixChannelState.Joined;
                        _rejoin.Reset();
                        while (_buffer.TryDequeue(out var waiting))
                        {
                            if (!waiting.IsCompleted)
                            {
                                Send(waiting);
                            }
                        }
                    }
                    else
                    {
                        _state = PhoenixChannelState.Errored;
                        ScheduleRejoin();
                    }
                }
            }
            else if (@ref is not null && _pending.Remove(@ref, out var answered))
            {
                push = answered;
            }
        }

        if (push is null || !push.Complete(reply))
        {
            return;
        }

        if (isJoin)
        {
            _firstJoin.TrySetResult(reply);
            _socket.Guard(JoinReplied, reply);
        }
        else if (push == _leavePush)
        {
            CloseLocally();
        }
    }

    private void JoinTimedOut(OutgoingPush join)
    {
        lock (_socket.Gate)
        {
            if (join != _joinPush)
            {
                return;
            }

            _joinPush = null;
            // As phoenix.js: tell the server to drop the join that may still complete, then rejoin on the schedule.
            if (_socket.IsConnected)
            {
                _socket.Send(PhoenixMessage.Encode(_joinRef, _socket.MakeRef(), Topic, "phx_leave", "{}"u8), null);
            }

            _state = PhoenixChannelState.Errored;
            ScheduleRejoin();
        }

        if (join.Complete(PhoenixReply.TimedOut))
        {
            _firstJoin.TrySetResult(PhoenixReply.TimedOut);
            _socket.Guard(JoinReplied, PhoenixReply.TimedOut);
        }
    }

    private void PushTimedOut(OutgoingPush push)
    {
        lock (_socket.Gate)
        {
            if (push.Ref is { } sentAs)
            {
                _pending.Remove(sentAs);
            }
        }

        push.Complete(PhoenixReply.TimedOut);
    }

    private void LeaveTimedOut(OutgoingPush leave)
    {
        PushTimedOut(leave);
        CloseLocally();
    }

    private void ServerError()
    {
        lock (_socket.Gate)
        {
            if (_state is PhoenixChannelState.Leaving or PhoenixChannelState.Closed)
            {
                return;
            }

            AbandonJoin();
            _state = PhoenixChannelState.Errored;
            ScheduleRejoin();
        }

        _socket.Guard(static errored => errored?.Invoke(), Errored);
    }

    private void CloseLocally()
    {
        lock (_socket.Gate)
        {
            if (_state == PhoenixChannelState.Closed)
            {
                return;
            }

            _rejoin.Reset();
            AbandonJoin();
            _leavePush?.Complete(PhoenixReply.LocalOk);
            _state = PhoenixChannelState.Closed;
            _left = true;
        }

        _socket.Remove(this);
        _socket.Guard(static closed => closed?.Invoke(), Closed);
    }

    /// <summary>Sends a push of this join with a fresh ref and waits for its reply (caller holds the gate).</summary>
    private void Send(OutgoingPush push)
    {
        push.Ref = _socket.MakeRef();
        _pending[push.Ref] = push;
        if (!_socket.Send(PhoenixMessage.Encode(_joinRef, push.Ref, Topic, push.Event, push.Payload), push))
        {
            _pending.Remove(push.Ref);
            push.Complete(PhoenixReply.OutgoingBufferFull);
        }
    }

    private void ScheduleRejoin()
    {
        if (_socket.IsConnected)
        {
            _rejoin.Schedule();
        }
    }

    /// <summary>Forgets the join waiting for its reply (its reply, if it comes, is then ignored).</summary>
    private void AbandonJoin()
    {
        _joinPush?.Complete(PhoenixReply.TimedOut);
        _joinPush = null;
    }
}
