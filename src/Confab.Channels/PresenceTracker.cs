using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confab.Channels.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Confab.Channels;

/// <summary>
/// Who is present on each topic, compatible with Phoenix.Presence and phoenix.js <c>Presence</c>. Each owner (typically
/// one channel, i.e. one tab or device) tracks its own meta under a key, so one user connected twice is one key with
/// two metas. Changes are broadcast on the topic as <c>presence_diff</c> through <see cref="IPubSub"/>: each at once,
/// or, with a diff interval, merged per topic over that interval (as Phoenix.Presence batches them), so that N
/// members joining a room together cost each member about one diff per interval instead of N diffs.
/// </summary>
/// <remarks>
/// <para>State, as pushed to a joiner with <c>presence_state</c> (<see cref="List"/>):</para>
/// <code>{"alice":{"metas":[{"online_at":"1700000000","phx_ref":"F-aliceRef1AAAAA"},{"online_at":"1700000100","phx_ref":"F-aliceRef2AAAAA"}]}}</code>
/// <para>Diff of a track, an untrack and an update (the updated key is in both, the new meta carries <c>phx_ref_prev</c>):</para>
/// <code>
/// {"joins":{"bob":{"metas":[{"online_at":"1700000200","phx_ref":"F-bobRef1AAAAAAA"}]}},"leaves":{}}
/// {"joins":{},"leaves":{"bob":{"metas":[{"online_at":"1700000200","phx_ref":"F-bobRef1AAAAAAA"}]}}}
/// {"joins":{"alice":{"metas":[{"status":"away","phx_ref":"F-aliceRef3AAAAA","phx_ref_prev":"F-aliceRef2AAAAA"}]}},
///  "leaves":{"alice":{"metas":[{"status":"online","phx_ref":"F-aliceRef2AAAAA"}]}}}
/// </code>
/// <para><c>phx_ref</c> is 16 URL-safe base64 characters of 12 bytes: a strictly increasing nanosecond time, a
/// random node id and a counter, as Phoenix.Tracker. Diffs are flagged droppable for slow sockets. The state is
/// local to this process.</para>
/// <para>Batched diffs stay exact for phoenix.js: a key's joined and left metas are merged under it, and a meta
/// that joins and leaves within one interval is listed in both (see <c>Internal/PresenceDiff</c>). A joiner
/// subscribes to the topic before its <c>presence_state</c> is listed, so each change reaches it either in that state
/// or in a later diff; a diff repeating what the state already holds changes nothing on the client.</para>
/// </remarks>
public sealed class PresenceTracker : IPresence
{
    /// <summary>The conventional event of the full state pushed to a joiner.</summary>
    public const string StateEvent = IPresence.StateEvent;

    /// <summary>The event of the diffs broadcast on the topic.</summary>
    public const string DiffEvent = IPresence.DiffEvent;

    private readonly IPubSub _pubSub;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, List<PresenceHandle>>> _topics = new(StringComparer.Ordinal);
    private readonly ushort _node = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
    private readonly TimeSpan _diffInterval;

    // Held while a batch is broadcast (outside _gate), so batches go out in order.
    private readonly Lock _flushGate = new();
    private Dictionary<string, PresenceDiff> _pending = new(StringComparer.Ordinal);
    private ITimer? _flushTimer;
    private bool _flushScheduled;
    private long _lastNanoseconds;
    private int _tracked;
    private ushort _counter;

    /// <summary>Creates a tracker that broadcasts each change through <paramref name="pubSub"/> at once.</summary>
    public PresenceTracker(IPubSub pubSub, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null)
        : this(pubSub, timeProvider, TimeSpan.Zero, loggerFactory)
    {
    }

    /// <summary>
    /// Creates a tracker that merges the changes of each topic over <paramref name="diffInterval"/> (measured on
    /// <paramref name="timeProvider"/>) into one <c>presence_diff</c>; <see cref="TimeSpan.Zero"/> broadcasts each
    /// change at once. Applications get it from <see cref="ChannelOptions.PresenceDiffInterval"/>.
    /// </summary>
    public PresenceTracker(IPubSub pubSub, TimeProvider timeProvider, TimeSpan diffInterval, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(pubSub);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(diffInterval, TimeSpan.Zero);
        _pubSub = pubSub;
        _timeProvider = timeProvider;
        _diffInterval = diffInterval;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Confab.Channels.Presence");
    }

    /// <summary>Presences tracked now, over all topics (one per joined connection that tracks itself).</summary>
    public int TrackedCount => Volatile.Read(ref _tracked);

    /// <summary>
    /// Tracks <paramref name="key"/> with <paramref name="meta"/> (a JSON object; <c>phx_ref</c> is added) on
    /// <paramref name="topic"/> for <paramref name="owner"/>, and broadcasts the join (now or with the next batch).
    /// </summary>
    /// <exception cref="InvalidOperationException">The owner already tracks this key on this topic.</exception>
    public PresenceHandle Track(string topic, string key, JsonPayload meta, object owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var keys))
            {
                keys = new Dictionary<string, List<PresenceHandle>>(StringComparer.Ordinal);
                _topics.Add(topic, keys);
            }

            if (!keys.TryGetValue(key, out var handles))
            {
                handles = [];
                keys.Add(key, handles);
            }

            foreach (PresenceHandle existing in handles)
            {
                if (ReferenceEquals(existing.Owner, owner))
                {
                    throw new InvalidOperationException($"Presence key '{key}' is already tracked on '{topic}' by this owner; update it instead.");
                }
            }

            string phxRef = NextRef();
            var handle = new PresenceHandle(this, topic, key, owner, phxRef, BuildMeta(meta, phxRef, previousRef: null));
            handles.Add(handle);
            _tracked++;
            RecordChange(topic, key, joined: handle.MetaBytes, left: null);
            return handle;
        }
    }

    /// <summary>Tracks a <see cref="JsonObject"/> meta; see <see cref="Track(string, string, JsonPayload, object)"/>.</summary>
    public PresenceHandle Track(string topic, string key, JsonObject meta, object owner)
        => Track(topic, key, JsonPayload.FromObject(meta), owner);

    /// <summary>
    /// Replaces the meta of a tracked presence: the new meta gets a new <c>phx_ref</c> and <c>phx_ref_prev</c> = the
    /// old one, and the diff lists the key in <c>joins</c> (new meta) and in <c>leaves</c> (old meta).
    /// </summary>
    /// <exception cref="InvalidOperationException">The presence was untracked.</exception>
    public void Update(PresenceHandle handle, JsonPayload meta)
    {
        ArgumentNullException.ThrowIfNull(handle);
        lock (_gate)
        {
            if (!handle.IsTracked)
            {
                throw new InvalidOperationException($"Presence key '{handle.Key}' on '{handle.Topic}' is no longer tracked.");
            }

            byte[] previous = handle.MetaBytes;
            string phxRef = NextRef();
            handle.Set(phxRef, BuildMeta(meta, phxRef, handle.Ref));
            RecordChange(handle.Topic, handle.Key, joined: handle.MetaBytes, left: previous);
        }
    }

    /// <summary>Untracks a presence and broadcasts the leave diff. Returns false if it was already untracked.</summary>
    public bool Untrack(PresenceHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        lock (_gate)
        {
            if (!handle.IsTracked)
            {
                return false;
            }

            handle.MarkUntracked();
            _tracked--;
            var keys = _topics[handle.Topic];
            var handles = keys[handle.Key];
            handles.Remove(handle);
            if (handles.Count == 0)
            {
                keys.Remove(handle.Key);
                if (keys.Count == 0)
                {
                    _topics.Remove(handle.Topic);
                }
            }

            RecordChange(handle.Topic, handle.Key, joined: null, left: handle.MetaBytes);
            return true;
        }
    }

    /// <summary>
    /// The state of <paramref name="topic"/>: <c>{"&lt;key&gt;":{"metas":[meta, …]}}</c>, <c>{}</c> when nobody is there.
    /// </summary>
    public JsonPayload List(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Utf8JsonWriter writer = JsonFrameWriter.Start();
        WriteState(writer, topic);
        return JsonPayload.Trusted(JsonFrameWriter.ToArray(writer));
    }

    /// <summary>Writes the state of <paramref name="topic"/> (see <see cref="List"/>) to <paramref name="writer"/>.</summary>
    public void WriteState(Utf8JsonWriter writer, string topic)
    {
        lock (_gate)
        {
            writer.WriteStartObject();
            if (_topics.TryGetValue(topic, out var keys))
            {
                foreach (var (key, handles) in keys)
                {
                    WritePresence(writer, key, handles);
                }
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>The topics with presences now.</summary>
    public IReadOnlyList<string> Topics()
    {
        lock (_gate)
        {
            return [.. _topics.Keys];
        }
    }

    /// <summary>Every meta tracked on <paramref name="topic"/> now, by key (a key tracked twice is listed twice).</summary>
    public IReadOnlyList<KeyValuePair<string, JsonPayload>> Metas(string topic)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var keys))
            {
                return [];
            }

            var metas = new List<KeyValuePair<string, JsonPayload>>();
            foreach (var (key, handles) in keys)
            {
                foreach (PresenceHandle handle in handles)
                {
                    metas.Add(KeyValuePair.Create(key, JsonPayload.Trusted(handle.MetaBytes)));
                }
            }

            return metas;
        }
    }

    /// <summary>
    /// Broadcasts the changes waiting for the diff interval now, one <c>presence_diff</c> per topic. The interval's
    /// timer calls this; call it yourself to publish a batch early (e.g. before shutting down).
    /// </summary>
    public void Flush()
    {
        lock (_flushGate)
        {
            Dictionary<string, PresenceDiff> batch;
            lock (_gate)
            {
                _flushScheduled = false;
                if (_pending.Count == 0)
                {
                    return;
                }

                batch = _pending;
                _pending = new Dictionary<string, PresenceDiff>(StringComparer.Ordinal);
            }

            foreach (var (topic, diff) in batch)
            {
                Publish(topic, diff);
            }
        }
    }

    private void OnFlushTimer()
    {
        try
        {
            Flush();
        }
#pragma warning disable CA1031 // A timer callback is a boundary: a failed publication is logged; the state itself is consistent.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.PresenceBroadcastFailed(_logger, "(batch)", ex);
        }
    }

    private static void WritePresence(Utf8JsonWriter writer, string key, List<PresenceHandle> handles)
        => PresenceDiff.WriteMetas(writer, key, handles, static handle => handle.MetaBytes);

    private static byte[] BuildMeta(JsonPayload meta, string phxRef, string? previousRef)
    {
        using JsonDocument document = JsonDocument.Parse(meta.Utf8);
        Utf8JsonWriter writer = JsonFrameWriter.Start();
        writer.WriteStartObject();
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (!property.NameEquals("phx_ref"u8) && !property.NameEquals("phx_ref_prev"u8))
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteString("phx_ref"u8, phxRef);
        if (previousRef is not null)
        {
            writer.WriteString("phx_ref_prev"u8, previousRef);
        }

        writer.WriteEndObject();
        return JsonFrameWriter.ToArray(writer);
    }

    // Under _gate. At once (in the order the changes happen), or into the topic's pending diff for the next flush.
    private void RecordChange(string topic, string key, byte[]? joined, byte[]? left)
    {
        if (_diffInterval == TimeSpan.Zero)
        {
            var single = new PresenceDiff();
            single.Add(key, joined, left);
            Publish(topic, single);
            return;
        }

        if (!_pending.TryGetValue(topic, out PresenceDiff? diff))
        {
            diff = new PresenceDiff();
            _pending.Add(topic, diff);
        }

        diff.Add(key, joined, left);
        if (!_flushScheduled)
        {
            _flushScheduled = true;
            _flushTimer ??= _timeProvider.CreateTimer(static state => ((PresenceTracker)state!).OnFlushTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _flushTimer.Change(_diffInterval, Timeout.InfiniteTimeSpan);
        }
    }

    private void Publish(string topic, PresenceDiff diff)
    {
        var broadcast = new Broadcast(topic, DiffEvent, JsonPayload.Trusted(diff.Encode())) { Droppable = true };
        ValueTask published = _pubSub.BroadcastAsync(broadcast);
        if (!published.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(published, topic);
        }
    }

    private async Task ObserveAsync(ValueTask published, string topic)
    {
        try
        {
            await published;
        }
#pragma warning disable CA1031 // A failed diff publication is logged; the tracked state itself is consistent.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.PresenceBroadcastFailed(_logger, topic, ex);
        }
    }

    // Under _gate. Time is forced to increase, so refs stay unique even with a frozen (fake) clock.
    private string NextRef()
    {
        long now = (_timeProvider.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        _lastNanoseconds = now > _lastNanoseconds ? now : _lastNanoseconds + 1;
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(bytes, _lastNanoseconds);
        BinaryPrimitives.WriteUInt16BigEndian(bytes[8..], _node);
        BinaryPrimitives.WriteUInt16BigEndian(bytes[10..], ++_counter);
        return Base64Url.EncodeToString(bytes);
    }
}
