using System.Diagnostics;
using System.Net;
using System.Text;

namespace Confab.Bench.Load;

/// <summary>
/// One member of a load run: its own user and socket, joined to one room (and, if asked, to its user channel). Pushes carry increasing refs; the send
/// time of each is kept in a ring, so a reply costs a lookup. Everything it receives is scanned, not parsed, and
/// counted into the run's <see cref="LoadStats"/>.
/// </summary>
internal sealed class LoadClient : IDisposable
{
    private readonly long[] sentAt;
    private readonly long[] sentRef;
    private readonly LoadStats stats;
    private readonly byte[] topic;
    private readonly byte[]? userTopic;
    private WireSocket? wire;
    private Task? receiving;
    private long nextRef = 1;
    private long joinRef;
    private long userJoinRef;
    private long lastSeq;
    private TaskCompletionSource<bool>? joined;

    /// <param name="pending">How many pushes may await their replies at once (more wrap the ring and count as unmatched).</param>
    public LoadClient(int index, int room, string roomTopic, LoadStats stats, int pending, string? userTopic = null)
    {
        this.userTopic = userTopic is null ? null : Encoding.UTF8.GetBytes(userTopic);
        sentAt = new long[pending];
        sentRef = new long[pending];
        Index = index;
        Room = room;
        topic = Encoding.UTF8.GetBytes(roomTopic);
        this.stats = stats;
    }

    public int Index { get; }

    public int Room { get; }

    public bool IsJoined { get; private set; }

    /// <summary>Connects, upgrades and joins; false (counted) when any step fails or takes longer than <paramref name="timeout"/>.</summary>
    public async Task<bool> ConnectAndJoinAsync(IPEndPoint server, IPAddress local, string token, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            wire = await WireSocket.ConnectAsync(server, local, PhoenixFrames.SocketPath(token), deadline.Token);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            stats.ConnectFailed(e);
            return false;
        }

        long connected = Stopwatch.GetTimestamp();
        stats.Connect.RecordSince(started, connected);
        wire.OnText = OnText;
        receiving = wire.ReceiveAsync(CancellationToken.None);
        joined = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        joinRef = Interlocked.Increment(ref nextRef);
        Send(joinRef, "phx_join"u8, "{}"u8);
        bool ok = await WaitJoinedAsync(deadline.Token);
        if (ok && userTopic is not null)
        {
            // The user channel after the room's, as the web UI's sidebar joins it.
            joined = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            userJoinRef = Interlocked.Increment(ref nextRef);
            Send(userJoinRef, userJoinRef, userTopic, "phx_join"u8, "{}"u8);
            ok = await WaitJoinedAsync(deadline.Token);
        }

        if (!ok)
        {
            stats.JoinFailed();
            return false;
        }

        long done = Stopwatch.GetTimestamp();
        stats.Join.RecordSince(connected, done);
        stats.ConnectAndJoin.RecordSince(started, done);
        IsJoined = true;
        return true;
    }

    private async Task<bool> WaitJoinedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await joined!.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Pushes <c>new_message</c> with content <c>t:&lt;now&gt;:&lt;number&gt;</c>.</summary>
    public void SendMessage(long number)
    {
        Span<byte> payload = stackalloc byte[80];
        int at = PhoenixFrames.Append(payload, "{\"content\":\"t:"u8);
        at += PhoenixFrames.Format(payload[at..], Stopwatch.GetTimestamp());
        payload[at++] = (byte)':';
        at += PhoenixFrames.Format(payload[at..], number);
        at += PhoenixFrames.Append(payload[at..], "\"}"u8);
        Send(Interlocked.Increment(ref nextRef), "new_message"u8, payload[..at]);
    }

    public void SendHeartbeat()
    {
        long reference = Interlocked.Increment(ref nextRef);
        Span<byte> frame = stackalloc byte[64];
        int length = PhoenixFrames.Heartbeat(frame, reference);
        Remember(-reference);
        TrySend(frame[..length]);
    }

    /// <summary>Sends a close frame and waits (bounded) for the server to close.</summary>
    public async Task LeaveAsync(TimeSpan timeout)
    {
        if (wire is null)
        {
            return;
        }

        if (!await wire.CloseAsync(receiving, timeout))
        {
            stats.SendFailed();
        }

        Dispose();
    }

    public void Dispose()
    {
        wire?.Dispose();
        wire = null;
        IsJoined = false;
    }

    private void Send(long reference, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> payload) => Send(joinRef, reference, topic, @event, payload);

    private void Send(long joinReference, long reference, byte[] on, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> payload)
    {
        Span<byte> frame = stackalloc byte[256 + on.Length];
        int length = PhoenixFrames.Push(frame, joinReference, reference, on, @event, payload);
        Remember(reference);
        TrySend(frame[..length]);
    }

    // A heartbeat is remembered under its negative ref, so its reply is not counted as a push's.
    private void Remember(long reference)
    {
        int slot = (int)(Math.Abs(reference) % sentRef.Length);
        Volatile.Write(ref sentAt[slot], Stopwatch.GetTimestamp());
        Volatile.Write(ref sentRef[slot], reference);
    }

    private void TrySend(ReadOnlySpan<byte> frame)
    {
        try
        {
            wire?.SendText(frame);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            stats.SendFailed();
        }
    }

    private void OnText(ReadOnlySpan<byte> frame)
    {
        long now = Stopwatch.GetTimestamp();
        FrameKind kind = FrameScan.Read(frame, out long reference, out var payload);
        switch (kind)
        {
            case FrameKind.NewMessage:
                if (FrameScan.TryReadLoadMessage(payload, out long seq, out long sent, out long number))
                {
                    stats.Delivered(number, sent, now, duplicate: seq <= lastSeq);
                    lastSeq = Math.Max(lastSeq, seq);
                }

                break;
            case FrameKind.Reply:
                OnReply(reference, FrameScan.IsOk(payload), now);
                break;
            case FrameKind.PresenceDiff:
            case FrameKind.PresenceState:
                stats.Presence(frame.Length, now);
                break;
            default:
                stats.OtherFrame();
                break;
        }
    }

    private void OnReply(long reference, bool ok, long now)
    {
        if ((reference == joinRef || (reference == userJoinRef && userJoinRef != 0)) && joined is { } pending)
        {
            pending.TrySetResult(ok);
            return;
        }

        int slot = (int)(reference % sentRef.Length);
        long remembered = Volatile.Read(ref sentRef[slot]);
        if (remembered == reference)
        {
            stats.Replied(ok, Volatile.Read(ref sentAt[slot]), now);
        }
        else if (remembered == -reference)
        {
            stats.HeartbeatReplied(ok);
        }
        else
        {
            stats.ReplyUnmatched();
        }
    }
}
