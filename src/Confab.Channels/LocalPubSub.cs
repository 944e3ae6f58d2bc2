using System.Collections.Concurrent;
using Confab.Channels.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Confab.Channels;

/// <summary>
/// In-process <see cref="IPubSub"/>. Publishing reads an immutable subscriber array without a lock and calls each
/// subscriber in turn: no allocation, no await, no per-subscriber work beyond the call. Subscribing and unsubscribing
/// copy the topic's array (they happen once per join and leave).
/// </summary>
public sealed class LocalPubSub : IPubSub
{
    private readonly ConcurrentDictionary<string, IBroadcastSubscriber[]> _topics = new(StringComparer.Ordinal);
    private readonly Lock _writeGate = new();
    private readonly ILogger _logger;

    /// <summary>Creates an empty pub/sub.</summary>
    public LocalPubSub(ILoggerFactory? loggerFactory = null)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Confab.Channels.PubSub");
    }

    /// <summary>Number of subscribers of <paramref name="topic"/>.</summary>
    public int SubscriberCount(string topic) => _topics.TryGetValue(topic, out var subscribers) ? subscribers.Length : 0;

    /// <inheritdoc />
    public bool HasLocalSubscribers(string topic) => _topics.ContainsKey(topic);

    /// <inheritdoc />
    public ValueTask BroadcastAsync(Broadcast message, CancellationToken cancellationToken = default)
    {
        Publish(message);
        return ValueTask.CompletedTask;
    }

    /// <summary>Hands <paramref name="message"/> to every subscriber of its topic now; returns when each has it.</summary>
    public void Publish(Broadcast message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_topics.TryGetValue(message.Topic, out var subscribers))
        {
            return;
        }

        IBroadcastSubscriber? excluded = message.ExcludedSubscriber;
        foreach (IBroadcastSubscriber subscriber in subscribers)
        {
            if (ReferenceEquals(subscriber, excluded))
            {
                continue;
            }

            try
            {
                subscriber.OnBroadcast(message);
            }
#pragma warning disable CA1031 // One faulty subscriber must not stop delivery to the others; it is logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                ChannelsLog.SubscriberFailed(_logger, message.Topic, ex);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The same as <see cref="BroadcastAsync"/>: there is only this process.</remarks>
    public ValueTask LocalBroadcastAsync(Broadcast message, CancellationToken cancellationToken = default) =>
        BroadcastAsync(message, cancellationToken);

    /// <inheritdoc />
    public IDisposable Subscribe(string topic, IBroadcastSubscriber subscriber)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_writeGate)
        {
            IBroadcastSubscriber[] current = _topics.TryGetValue(topic, out var existing) ? existing : [];
            var next = new IBroadcastSubscriber[current.Length + 1];
            current.CopyTo(next, 0);
            next[^1] = subscriber;
            _topics[topic] = next;
        }

        return new Subscription(this, topic, subscriber);
    }

    private void Unsubscribe(string topic, IBroadcastSubscriber subscriber)
    {
        lock (_writeGate)
        {
            if (!_topics.TryGetValue(topic, out var current))
            {
                return;
            }

            int index = Array.IndexOf(current, subscriber);
            if (index < 0)
            {
                return;
            }

            if (current.Length == 1)
            {
                _topics.TryRemove(topic, out _);
                return;
            }

            var next = new IBroadcastSubscriber[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            _topics[topic] = next;
        }
    }

    private sealed class Subscription(LocalPubSub owner, string topic, IBroadcastSubscriber subscriber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(topic, subscriber);
            }
        }
    }
}
