using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Confab.Channels.Internal;

/// <summary>The process-wide services every socket uses, resolved once.</summary>
internal sealed class ChannelsRuntime(
    IOptions<ChannelOptions> options,
    IPubSub pubSub,
    IPresence presence,
    TimeProvider timeProvider,
    ChannelsMetrics metrics,
    SocketRegistry registry,
    ILoggerFactory loggerFactory)
{
    public ChannelOptions Options { get; } = options.Value;

    public OriginPolicy Origins { get; } = new(options.Value);

    public IPubSub PubSub { get; } = pubSub;

    public IPresence Presence { get; } = presence;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public ChannelsMetrics Metrics { get; } = metrics;

    public SocketRegistry Registry { get; } = registry;

    public ILogger SocketLogger { get; } = loggerFactory.CreateLogger("Confab.Channels.Socket");

    /// <summary>The mapped sockets, for <see cref="SocketConnectionHandler"/> (added as they are mapped, at start-up).</summary>
    public IReadOnlyList<SocketEndpoint> Endpoints => _endpoints;

    private volatile SocketEndpoint[] _endpoints = [];

    public void AddEndpoint(SocketEndpoint endpoint) => _endpoints = [.. _endpoints, endpoint];
}
