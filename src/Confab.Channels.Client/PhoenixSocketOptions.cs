using System.Net.WebSockets;

namespace Confab.Channels.Client;

/// <summary>How a <see cref="PhoenixSocket"/> behaves. The defaults are phoenix.js's (1.8).</summary>
public sealed class PhoenixSocketOptions
{
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(30);
    private TimeSpan _timeout = TimeSpan.FromSeconds(10);
    private int _outgoingBufferSize = 1000;
    private int _maxMessageBytes = 1024 * 1024;

    /// <summary>
    /// Time between a heartbeat's reply and the next heartbeat, and how long a heartbeat may wait for its reply before
    /// the socket is closed (code 1000, "heartbeat timeout") and reconnected. Default 30 s.
    /// </summary>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        set => _heartbeatInterval = Positive(value, nameof(HeartbeatInterval));
    }

    /// <summary>Default timeout of joins, pushes and leaves, and the limit on opening and closing the WebSocket. Default 10 s.</summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        set => _timeout = Positive(value, nameof(Timeout));
    }

    /// <summary>
    /// The wait before reconnect attempt <c>n</c> (1, 2, ...) after the socket closed or failed to open. Default:
    /// 10, 50, 100, 150, 200, 250, 500, 1000, 2000 ms, then 5 s. The count starts again after a successful open.
    /// </summary>
    public Func<int, TimeSpan> ReconnectAfter { get; set; } = static tries => TimeSpan.FromMilliseconds(tries switch
    {
        1 => 10, 2 => 50, 3 => 100, 4 => 150, 5 => 200, 6 => 250, 7 => 500, 8 => 1000, 9 => 2000, _ => 5000,
    });

    /// <summary>
    /// The wait before rejoin attempt <c>n</c> of a channel whose join failed, timed out or crashed while the socket is
    /// open. Default: 1, 2, 5 s, then 10 s. After a reconnect, channels rejoin at once.
    /// </summary>
    public Func<int, TimeSpan> RejoinAfter { get; set; } = static tries => TimeSpan.FromSeconds(tries switch { 1 => 1, 2 => 2, 3 => 5, _ => 10 });

    /// <summary>
    /// How many frames may wait: to be sent on the open connection, for the socket to open, and, per channel, for the
    /// channel's join. A push beyond that completes at once as a timeout with reason <c>"buffer full"</c>. Default 1000.
    /// </summary>
    public int OutgoingBufferSize
    {
        get => _outgoingBufferSize;
        set => _outgoingBufferSize = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(OutgoingBufferSize), value, "OutgoingBufferSize must be at least 1.");
    }

    /// <summary>The largest message accepted from the server; a larger one closes the socket (1009) and reconnects. Default 1 MiB.</summary>
    public int MaxMessageBytes
    {
        get => _maxMessageBytes;
        set => _maxMessageBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxMessageBytes), value, "MaxMessageBytes must be at least 1.");
    }

    /// <summary>Where time comes from: heartbeats, timeouts, reconnect and rejoin waits. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Changes each new <see cref="ClientWebSocket"/> before it connects (e.g. a proxy or certificate settings). In a
    /// browser, headers cannot be set: the token travels in the socket params, as with phoenix.js.
    /// </summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    private static TimeSpan Positive(TimeSpan value, string name) =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
}
