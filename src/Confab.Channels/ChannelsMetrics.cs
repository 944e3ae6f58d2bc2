using System.Diagnostics.Metrics;

namespace Confab.Channels;

/// <summary>
/// Counters of the socket layer, readable directly (tests, health pages) and published as
/// System.Diagnostics.Metrics instruments of the meter named by <see cref="ChannelOptions.MeterName"/>
/// (<c>Confab.Channels</c> by default) when an <see cref="IMeterFactory"/> is registered (ASP.NET Core hosts register one).
/// </summary>
/// <remarks>
/// Instruments: <c>confab.channels.sockets.active</c> and <c>confab.channels.joined</c> (up-down counters),
/// <c>confab.channels.broadcast.deliveries</c> (broadcast frames queued to sockets), <c>confab.channels.frames.dropped</c>,
/// <c>confab.channels.sockets.closed</c> with tag <c>reason</c> = <c>slow_consumer</c> | <c>malformed_frame</c> |
/// <c>frame_too_large</c> | <c>idle_timeout</c>, and <c>confab.channels.channel.crashes</c>.
/// </remarks>
public sealed class ChannelsMetrics
{
    /// <summary>The meter's name unless <see cref="ChannelOptions.MeterName"/> says otherwise.</summary>
    public const string DefaultMeterName = "Confab.Channels";

    private long _activeSockets;
    private long _joinedChannels;
    private long _broadcastDeliveries;
    private long _framesDropped;
    private long _slowConsumerCloses;
    private long _malformedFrameCloses;
    private long _frameTooLargeCloses;
    private long _idleTimeoutCloses;
    private long _channelCrashes;

    /// <summary>Creates the counters and, given a factory, the instruments that observe them.</summary>
    public ChannelsMetrics(IMeterFactory? meterFactory = null, Microsoft.Extensions.Options.IOptions<ChannelOptions>? options = null)
    {
        if (meterFactory is null)
        {
            return;
        }

        Meter meter = meterFactory.Create(options?.Value.MeterName ?? DefaultMeterName);
        meter.CreateObservableUpDownCounter("confab.channels.sockets.active", () => ActiveSockets, "{socket}", "Open Phoenix sockets.");
        meter.CreateObservableUpDownCounter("confab.channels.joined", () => JoinedChannels, "{channel}", "Channels joined on open sockets.");
        meter.CreateObservableCounter("confab.channels.broadcast.deliveries", () => BroadcastDeliveries, "{frame}", "Broadcast frames queued to sockets.");
        meter.CreateObservableCounter("confab.channels.frames.dropped", () => FramesDropped, "{frame}", "Droppable frames dropped because a socket's outbound queue was full.");
        meter.CreateObservableCounter("confab.channels.channel.crashes", () => ChannelCrashes, "{crash}", "Channel callbacks that threw.");
        meter.CreateObservableCounter(
            "confab.channels.sockets.closed",
            () => new[]
            {
                new Measurement<long>(SlowConsumerCloses, new KeyValuePair<string, object?>("reason", "slow_consumer")),
                new Measurement<long>(MalformedFrameCloses, new KeyValuePair<string, object?>("reason", "malformed_frame")),
                new Measurement<long>(FrameTooLargeCloses, new KeyValuePair<string, object?>("reason", "frame_too_large")),
                new Measurement<long>(IdleTimeoutCloses, new KeyValuePair<string, object?>("reason", "idle_timeout")),
            },
            "{socket}",
            "Sockets closed by the server because of a limit or a protocol error.");
    }

    /// <summary>Sockets open now.</summary>
    public long ActiveSockets => Interlocked.Read(ref _activeSockets);

    /// <summary>Channels joined now, over all sockets.</summary>
    public long JoinedChannels => Interlocked.Read(ref _joinedChannels);

    /// <summary>Broadcast frames queued to sockets (one per subscriber per broadcast).</summary>
    public long BroadcastDeliveries => Interlocked.Read(ref _broadcastDeliveries);

    /// <summary>Droppable frames (presence diffs, typing) dropped for slow sockets.</summary>
    public long FramesDropped => Interlocked.Read(ref _framesDropped);

    /// <summary>Sockets closed with 1011 because their outbound queue overflowed with frames that cannot be dropped.</summary>
    public long SlowConsumerCloses => Interlocked.Read(ref _slowConsumerCloses);

    /// <summary>Sockets closed with 1007 (or 1003) because a frame could not be decoded.</summary>
    public long MalformedFrameCloses => Interlocked.Read(ref _malformedFrameCloses);

    /// <summary>Sockets closed with 1009 because a frame exceeded <see cref="ChannelOptions.MaxFrameBytes"/>.</summary>
    public long FrameTooLargeCloses => Interlocked.Read(ref _frameTooLargeCloses);

    /// <summary>Sockets closed because nothing was received for <see cref="ChannelOptions.IdleTimeout"/>.</summary>
    public long IdleTimeoutCloses => Interlocked.Read(ref _idleTimeoutCloses);

    /// <summary>Channel callbacks (join excluded) that threw.</summary>
    public long ChannelCrashes => Interlocked.Read(ref _channelCrashes);

    internal void SocketOpened() => Interlocked.Increment(ref _activeSockets);

    internal void SocketEnded() => Interlocked.Decrement(ref _activeSockets);

    internal void ChannelJoined() => Interlocked.Increment(ref _joinedChannels);

    internal void ChannelLeft() => Interlocked.Decrement(ref _joinedChannels);

    internal void BroadcastDelivered() => Interlocked.Increment(ref _broadcastDeliveries);

    internal void AddDropped(int count) => Interlocked.Add(ref _framesDropped, count);

    internal void SlowConsumerClosed() => Interlocked.Increment(ref _slowConsumerCloses);

    internal void MalformedFrameClosed() => Interlocked.Increment(ref _malformedFrameCloses);

    internal void FrameTooLargeClosed() => Interlocked.Increment(ref _frameTooLargeCloses);

    internal void IdleTimeoutClosed() => Interlocked.Increment(ref _idleTimeoutCloses);

    internal void ChannelCrashed() => Interlocked.Increment(ref _channelCrashes);
}
