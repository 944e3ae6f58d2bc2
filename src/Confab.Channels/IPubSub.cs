namespace Confab.Channels;

/// <summary>
/// Topic-based publish/subscribe, the equivalent of Phoenix.PubSub. The default <see cref="LocalPubSub"/> delivers
/// within the process; a backplane (e.g. Redis) can replace it by registering its own <see cref="IPubSub"/> before
/// or after <c>AddPhoenixChannels()</c> (the default is added with TryAdd): its <see cref="BroadcastAsync"/> reaches
/// every node, its <see cref="LocalBroadcastAsync"/> this one.
/// </summary>
public interface IPubSub
{
    /// <summary>
    /// Delivers <paramref name="message"/> to every subscriber of its topic (with a backplane, on every node).
    /// Never waits for any socket's writes.
    /// </summary>
    ValueTask BroadcastAsync(Broadcast message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Delivers <paramref name="message"/> to the subscribers in this process only, as Phoenix.PubSub's
    /// <c>local_broadcast</c>: for what every node derives for itself (e.g. events each node reads in order from a shared
    /// log), which a backplane must not carry again. Never waits for any socket's writes.
    /// </summary>
    ValueTask LocalBroadcastAsync(Broadcast message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether <see cref="LocalBroadcastAsync"/> on <paramref name="topic"/> would reach anyone in this process now: a
    /// publisher with many topics and few listeners here may skip building what nobody would get. True when unknown.
    /// </summary>
    bool HasLocalSubscribers(string topic) => true;

    /// <summary>Subscribes in this process; dispose the result to unsubscribe.</summary>
    IDisposable Subscribe(string topic, IBroadcastSubscriber subscriber);
}
