using Confab.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Confab.Cluster;

/// <summary>
/// This node's connection to Redis, when <c>Redis:Configuration</c> is set, shared by the cluster's parts: the room
/// events (<see cref="RedisBackplane"/>), the broadcasts (<see cref="ClusterPubSub"/>) and presence
/// (<see cref="ClusterPresence"/>). Started before them; it reconnects by itself, and tells them when its subscription
/// came back (<see cref="SubscriptionRestored"/>), since whatever was published meanwhile is lost to this node.
/// </summary>
public sealed partial class RedisLink(IOptions<ClusterOptions> options, NodeIdentity node, ConfabMetrics metrics, ILogger<RedisLink> logger)
    : IHostedService, IAsyncDisposable
{
    private ConnectionMultiplexer? redis;

    /// <summary>Whether Redis is configured (a cluster) at all.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(options.Value.RedisConfiguration);

    /// <summary>Whether Redis answers now (for <c>/readyz</c>).</summary>
    public bool IsConnected => redis?.IsConnected ?? false;

    /// <summary>Redis's commands (the cluster's limits), once started; null without Redis.</summary>
    public IDatabase? Database => redis?.GetDatabase();

    /// <summary>The node's id, on everything it publishes.</summary>
    public string NodeId => node.Id;

    /// <summary>Raised when the subscription connection is back after a loss: read again what may have been missed.</summary>
    public event Action? SubscriptionRestored;

    /// <summary>
    /// Raised when the connection this node publishes on is back after a loss: what it published meanwhile may never have
    /// reached Redis, so the others must read it from the store.
    /// </summary>
    public event Action? PublishingRestored;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return;
        }

        var configuration = ConfigurationOptions.Parse(options.Value.RedisConfiguration!);
        // Start (and keep running) while Redis is away: it reconnects by itself, and the database covers the meantime.
        configuration.AbortOnConnectFail = false;
        // Back soon after Redis is: each try at most 5 s after the last (the library's default backs off to a minute).
        configuration.ReconnectRetryPolicy = new ExponentialRetry(500, 5000);
        configuration.ClientName = node.Id;
        redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        redis.ConnectionRestored += OnConnectionRestored;
        redis.ConnectionFailed += OnConnectionFailed;
        LogStarted(logger, node.Id, redis.IsConnected);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    /// <summary>
    /// Subscribes to <paramref name="channel"/>; <paramref name="handler"/> gets its messages one at a time, in the order
    /// Redis sent them. Null when Redis is not configured.
    /// </summary>
    public async Task<ChannelMessageQueue?> SubscribeAsync(RedisChannel channel, Action<byte[]> handler, string kind)
    {
        if (redis is null)
        {
            return null;
        }

        var queue = await redis.GetSubscriber().SubscribeAsync(channel);
        queue.OnMessage(message =>
        {
            metrics.BackplaneEvent(kind, "received");
            handler((byte[])message.Message!);
        });
        return queue;
    }

    /// <summary>
    /// Publishes without waiting (Redis queues while it reconnects); false when it could not even be queued. Pub/sub may
    /// lose it either way: every reader of the cluster's channels repairs what it misses.
    /// </summary>
    public bool Publish(RedisChannel channel, byte[] message, string kind)
    {
        if (redis is null)
        {
            return false;
        }

        try
        {
            redis.GetSubscriber().Publish(channel, message, CommandFlags.FireAndForget);
            metrics.BackplaneEvent(kind, "published");
            return true;
        }
        catch (RedisException e)
        {
            metrics.BackplaneEvent(kind, "publish_failed");
            LogPublishFailed(logger, e, kind);
            return false;
        }
    }

    /// <summary>Counts (and logs) a message that could not be read.</summary>
    public void Unreadable(string kind, Exception exception)
    {
        metrics.BackplaneEvent(kind, "unreadable");
        LogUnreadable(logger, exception, kind);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        LogRestored(logger, e.ConnectionType, e.EndPoint);
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            SubscriptionRestored?.Invoke();
        }
        else if (e.ConnectionType == ConnectionType.Interactive)
        {
            PublishingRestored?.Invoke();
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        LogConnectionFailed(logger, e.ConnectionType, e.EndPoint, e.FailureType, e.Exception);

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Node {NodeId} joined the cluster over Redis (connected now: {Connected}).")]
    private static partial void LogStarted(ILogger logger, string nodeId, bool connected);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Publishing to Redis failed ({Kind}); the other nodes repair what they miss.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string kind);

    [LoggerMessage(EventId = 502, Level = LogLevel.Error, Message = "A message from Redis could not be read ({Kind}).")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string kind);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Redis {ConnectionType} connection to {EndPoint} lost ({FailureType}); reconnecting.")]
    private static partial void LogConnectionFailed(
        ILogger logger, ConnectionType connectionType, System.Net.EndPoint? endPoint, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Redis {ConnectionType} connection to {EndPoint} restored.")]
    private static partial void LogRestored(ILogger logger, ConnectionType connectionType, System.Net.EndPoint? endPoint);
}
