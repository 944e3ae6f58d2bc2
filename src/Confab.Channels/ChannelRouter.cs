using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Channels;

/// <summary>
/// Routes topics to channel types: an exact topic (<c>"lobby"</c>) or a prefix ending with <c>*</c>
/// (<c>"room:*"</c> matches <c>"room:lobby"</c> and <c>"room:"</c>). Exact routes win; prefix routes are tried in
/// the order they were declared. A join for a topic without a route is answered with
/// <c>[null,"3","nope:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]</c>.
/// </summary>
public sealed class ChannelRouter
{
    private readonly Dictionary<string, ObjectFactory> _exact = new(StringComparer.Ordinal);
    private readonly List<(string Prefix, ObjectFactory Factory)> _prefixes = [];

    internal ChannelRouter()
    {
    }

    /// <summary>
    /// Routes <paramref name="topicPattern"/> to <typeparamref name="TChannel"/>. One instance is created per join
    /// with constructor injection from the socket's request services.
    /// </summary>
    /// <exception cref="ArgumentException">The pattern is empty, has <c>*</c> other than at the end, or is declared twice.</exception>
    public ChannelRouter Channel<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TChannel>(string topicPattern)
        where TChannel : Channel
    {
        ArgumentException.ThrowIfNullOrEmpty(topicPattern);
        int star = topicPattern.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0 && star != topicPattern.Length - 1)
        {
            throw new ArgumentException($"Topic pattern '{topicPattern}' may only end with '*'.", nameof(topicPattern));
        }

        ObjectFactory factory = ActivatorUtilities.CreateFactory(typeof(TChannel), Type.EmptyTypes);
        if (star < 0)
        {
            if (!_exact.TryAdd(topicPattern, factory))
            {
                throw new ArgumentException($"Topic '{topicPattern}' is routed twice.", nameof(topicPattern));
            }

            return this;
        }

        string prefix = topicPattern[..^1];
        foreach (var route in _prefixes)
        {
            if (route.Prefix == prefix)
            {
                throw new ArgumentException($"Topic pattern '{topicPattern}' is routed twice.", nameof(topicPattern));
            }
        }

        _prefixes.Add((prefix, factory));
        return this;
    }

    internal ObjectFactory? Match(string topic)
    {
        if (_exact.TryGetValue(topic, out var exact))
        {
            return exact;
        }

        foreach (var (prefix, factory) in _prefixes)
        {
            if (topic.StartsWith(prefix, StringComparison.Ordinal))
            {
                return factory;
            }
        }

        return null;
    }
}
