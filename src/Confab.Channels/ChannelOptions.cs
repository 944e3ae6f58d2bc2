namespace Confab.Channels;

/// <summary>
/// Limits and timeouts of Phoenix sockets. Every limit is on by default; every setter rejects out-of-range values
/// with an <see cref="ArgumentOutOfRangeException"/> naming the setting, and the whole set is validated again at
/// start-up.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddPhoenixChannels(options =>
/// {
///     options.MaxFrameBytes = 128 * 1024;
///     options.IdleTimeout = TimeSpan.FromSeconds(90);
/// });
/// </code>
/// </example>
public sealed class ChannelOptions
{
    private int _maxFrameBytes = 64 * 1024;
    private TimeSpan _presenceDiffInterval = TimeSpan.FromMilliseconds(50);
    private TimeSpan _idleTimeout = TimeSpan.FromSeconds(60);
    private int _maxChannelsPerSocket = 100;
    private int _outboundQueueCapacity = 1024;
    private int _maxPendingRepliesPerSocket = 100;
    private TimeSpan _closeTimeout = TimeSpan.FromSeconds(5);
    private string? _host;

    /// <summary>
    /// Largest incoming message in bytes. Default 65,536 (64 KiB). A larger message closes the socket with 1009
    /// ("message too big") while it is being received; at most this many bytes are buffered. Range 256 to 16 MiB.
    /// </summary>
    public int MaxFrameBytes
    {
        get => _maxFrameBytes;
        set => _maxFrameBytes = InRange(value, 256, 16 * 1024 * 1024, nameof(MaxFrameBytes));
    }

    /// <summary>
    /// How long the <see cref="PresenceTracker"/> merges the presence changes of a topic before it broadcasts them as
    /// one <c>presence_diff</c>. Default 50 ms: a join storm of N members then costs each member about one frame per
    /// 50 ms instead of N frames (O(N²) frames in all), at the price of diffs arriving up to 50 ms later.
    /// <see cref="TimeSpan.Zero"/> broadcasts every change at once. Range 0 to 5 seconds.
    /// </summary>
    public TimeSpan PresenceDiffInterval
    {
        get => _presenceDiffInterval;
        set => _presenceDiffInterval = InRange(value, TimeSpan.Zero, TimeSpan.FromSeconds(5), nameof(PresenceDiffInterval));
    }

    /// <summary>
    /// The socket is closed (1001, reason "idle timeout") when nothing was received for this long. Default 60 seconds,
    /// twice the official client's 30 s heartbeat, as Phoenix. Range 1 second to 1 day.
    /// </summary>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = InRange(value, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), nameof(IdleTimeout));
    }

    /// <summary>
    /// Channels one socket may have joined at once. Default 100, as Phoenix's <c>max_channels_per_transport</c>.
    /// One more join is answered with <c>{"status":"error","response":{"reason":"too many channels joined"}}</c>.
    /// Range 1 to 100,000.
    /// </summary>
    public int MaxChannelsPerSocket
    {
        get => _maxChannelsPerSocket;
        set => _maxChannelsPerSocket = InRange(value, 1, 100_000, nameof(MaxChannelsPerSocket));
    }

    /// <summary>
    /// The name of the meter that publishes <see cref="ChannelsMetrics"/>. Default <c>Confab.Channels</c>; an
    /// application that wants one meter for everything sets its own.
    /// </summary>
    public string MeterName
    {
        get => _meterName;
        set => _meterName = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("MeterName must not be empty.", nameof(value)) : value;
    }

    private string _meterName = ChannelsMetrics.DefaultMeterName;

    /// <summary>
    /// Frames waiting to be written to one socket. Default 1,024. When the queue is full, droppable frames
    /// (e.g. <c>presence_diff</c>, typing events) are dropped first; a socket whose queue is full of frames that
    /// cannot be dropped is closed with 1011 so the client reconnects and resumes. Range 16 to 1,048,576.
    /// </summary>
    public int OutboundQueueCapacity
    {
        get => _outboundQueueCapacity;
        set => _outboundQueueCapacity = InRange(value, 16, 1024 * 1024, nameof(OutboundQueueCapacity));
    }

    /// <summary>
    /// Handlers of one socket that may still be running (returned an incomplete task) while the socket reads on.
    /// Default 100. At the cap the socket stops reading until one finishes. Must not exceed
    /// <see cref="OutboundQueueCapacity"/>. Range 1 to 100,000.
    /// </summary>
    public int MaxPendingRepliesPerSocket
    {
        get => _maxPendingRepliesPerSocket;
        set => _maxPendingRepliesPerSocket = InRange(value, 1, 100_000, nameof(MaxPendingRepliesPerSocket));
    }

    /// <summary>
    /// How long a closing socket may take: the server sends its close frame (after the frames already queued) and
    /// waits this long for the client's close frame before aborting the connection. Applies to every server-side
    /// close, including the 1001 "server shutting down" on application stop. Default 5 seconds.
    /// Range 100 milliseconds to 5 minutes.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = InRange(value, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), nameof(CloseTimeout));
    }

    /// <summary>
    /// Whether the upgrade's <c>Origin</c> header is checked before <see cref="PhoenixSocket.ConnectAsync"/>, as Phoenix's
    /// <c>check_origin</c> (protection against cross-site WebSocket hijacking). Default true. A refused origin gets a plain
    /// HTTP 403 with an empty body. A request without an <c>Origin</c> header (a non-browser client) is always allowed.
    /// </summary>
    public bool CheckOrigin { get; set; } = true;

    /// <summary>
    /// The application's public host name, e.g. <c>"chat.example.com"</c> (Phoenix's <c>url: [host: …]</c>). When
    /// <see cref="AllowedOrigins"/> is empty, an <c>Origin</c> is allowed when its host equals this host (scheme and port
    /// are not compared): <c>Origin: https://chat.example.com</c> passes, <c>Origin: https://evil.example</c> is refused.
    /// Default null: the request's own host (its <c>Host</c> header) is used instead.
    /// </summary>
    public string? Host
    {
        get => _host;
        set => _host = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>
    /// Origins allowed instead of <see cref="Host"/>, in Phoenix's forms: <c>"https://example.com"</c> (scheme and host),
    /// <c>"//another.com:888"</c> (host and port, any scheme), <c>"//*.other.com"</c> (any subdomain of other.com, or
    /// other.com itself). Each part given must match; parts left out match anything. Default empty. Every entry is
    /// checked at start-up.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    private static int InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"ChannelOptions.{name} must be between {min} and {max}.");
        }

        return value;
    }

    private static TimeSpan InRange(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"ChannelOptions.{name} must be between {min} and {max}.");
        }

        return value;
    }
}
