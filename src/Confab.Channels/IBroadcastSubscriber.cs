namespace Confab.Channels;

/// <summary>Receives the broadcasts of a topic it subscribed to through <see cref="IPubSub.Subscribe"/>.</summary>
public interface IBroadcastSubscriber
{
    /// <summary>
    /// Called on the publisher's thread for every broadcast on the topic. Must not block or throw: queue the work.
    /// </summary>
    void OnBroadcast(Broadcast message);
}
