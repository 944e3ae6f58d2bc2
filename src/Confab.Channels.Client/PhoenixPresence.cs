using System.Text.Json;

namespace Confab.Channels.Client;

/// <summary>
/// Who is present on a channel, kept from the server's <c>presence_state</c> and <c>presence_diff</c> with phoenix.js's
/// <c>Presence</c> semantics: a state replaces what is known (only real changes raise <see cref="Joined"/> and
/// <see cref="Left"/>, metas compared by <c>phx_ref</c>), a diff adds joins and removes leaves, diffs that come before the
/// current join's state wait for it, and <see cref="Synced"/> follows each.
/// </summary>
/// <remarks>
/// A state is <c>{"alice": {"metas": [{"device": "phone", "phx_ref": "F-a1"}]}}</c>; a diff
/// <c>{"joins": {"bob": {"metas": [...]}}, "leaves": {}}</c>. One key (a user) can have several metas (devices, tabs).
/// </remarks>
public sealed class PhoenixPresence : IDisposable
{
    private readonly PhoenixChannel _channel;
    private readonly Lock _gate = new();
    private readonly IDisposable[] _subscriptions;
    private readonly List<JsonElement> _pendingDiffs = [];
    private readonly OrderedDictionary<string, PhoenixPresenceEntry> _state = new(StringComparer.Ordinal);
    private string? _joinRef;

    /// <summary>Follows the presence events of <paramref name="channel"/> (subscribe before joining, so the first state is not missed).</summary>
    public PhoenixPresence(PhoenixChannel channel, string stateEvent = "presence_state", string diffEvent = "presence_diff")
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        _subscriptions = [channel.On(stateEvent, OnState), channel.On(diffEvent, OnDiff)];
    }

    /// <summary>A key joined, or got more metas: (key, what was there before or null, what joined).</summary>
    public event Action<string, PhoenixPresenceEntry?, PhoenixPresenceEntry>? Joined;

    /// <summary>Metas of a key left: (key, what remains (no metas when the key is gone), what left).</summary>
    public event Action<string, PhoenixPresenceEntry, PhoenixPresenceEntry>? Left;

    /// <summary>Raised after each state or diff has been applied.</summary>
    public event Action? Synced;

    /// <summary>Everyone present, in the order they were first seen.</summary>
    public IReadOnlyList<PhoenixPresenceEntry> List()
    {
        lock (_gate)
        {
            return [.. _state.Values];
        }
    }

    /// <summary>Everyone present, each mapped by <paramref name="chooser"/> (phoenix.js's <c>list(chooser)</c>).</summary>
    public IReadOnlyList<T> List<T>(Func<string, PhoenixPresenceEntry, T> chooser)
    {
        ArgumentNullException.ThrowIfNull(chooser);
        return [.. List().Select(entry => chooser(entry.Key, entry))];
    }

    /// <summary>Stops following the channel.</summary>
    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void OnState(JsonElement newState)
    {
        var changes = new List<Action>();
        lock (_gate)
        {
            _joinRef = _channel.JoinRef;
            var joins = new Dictionary<string, PhoenixPresenceEntry>(StringComparer.Ordinal);
            var leaves = new Dictionary<string, PhoenixPresenceEntry>(StringComparer.Ordinal);
            var incoming = Read(newState);
            foreach (var (key, current) in _state)
            {
                if (!incoming.ContainsKey(key))
                {
                    leaves[key] = current;
                }
            }

            foreach (var (key, presence) in incoming)
            {
                if (_state.TryGetValue(key, out var current))
                {
                    var joined = presence.Metas.Where(m => !current.HasRef(RefOf(m))).ToList();
                    var left = current.Metas.Where(m => !presence.HasRef(RefOf(m))).ToList();
                    if (joined.Count > 0)
                    {
                        joins[key] = presence with { Metas = joined };
                    }

                    if (left.Count > 0)
                    {
                        leaves[key] = current with { Metas = left };
                    }
                }
                else
                {
                    joins[key] = presence;
                }
            }

            Apply(joins, leaves, changes);
            foreach (var diff in _pendingDiffs)
            {
                ApplyDiff(diff, changes);
            }

            _pendingDiffs.Clear();
        }

        Raise(changes);
    }

    private void OnDiff(JsonElement diff)
    {
        var changes = new List<Action>();
        lock (_gate)
        {
            if (_joinRef is null || _joinRef != _channel.JoinRef)
            {
                _pendingDiffs.Add(diff); // before this join's state: applied after it
                return;
            }

            ApplyDiff(diff, changes);
        }

        Raise(changes);
    }

    private void ApplyDiff(JsonElement diff, List<Action> changes) =>
        Apply(Read(Property(diff, "joins")), Read(Property(diff, "leaves")), changes);

    /// <summary>phoenix.js's <c>syncDiff</c>: joins keep the metas already known in front; leaves remove metas by <c>phx_ref</c>.</summary>
    private void Apply(Dictionary<string, PhoenixPresenceEntry> joins, Dictionary<string, PhoenixPresenceEntry> leaves, List<Action> changes)
    {
        var state = _state;
        foreach (var (key, joined) in joins)
        {
            state.TryGetValue(key, out var current);
            var metas = current is null ? joined.Metas : [.. current.Metas.Where(m => !joined.HasRef(RefOf(m))), .. joined.Metas];
            state[key] = joined with { Metas = metas };
            changes.Add(() => Joined?.Invoke(key, current, joined));
        }

        foreach (var (key, left) in leaves)
        {
            if (!state.TryGetValue(key, out var current))
            {
                continue;
            }

            var remaining = current with { Metas = [.. current.Metas.Where(m => !left.HasRef(RefOf(m)))] };
            if (remaining.Metas.Count == 0)
            {
                state.Remove(key);
            }
            else
            {
                state[key] = remaining;
            }

            changes.Add(() => Left?.Invoke(key, remaining, left));
        }

        changes.Add(() => Synced?.Invoke());
    }

    private static void Raise(List<Action> changes)
    {
        foreach (var change in changes)
        {
            change();
        }
    }

    private static Dictionary<string, PhoenixPresenceEntry> Read(JsonElement presences)
    {
        var entries = new Dictionary<string, PhoenixPresenceEntry>(StringComparer.Ordinal);
        if (presences.ValueKind != JsonValueKind.Object)
        {
            return entries;
        }

        foreach (var property in presences.EnumerateObject())
        {
            var metas = Property(property.Value, "metas");
            entries[property.Name] = new PhoenixPresenceEntry(
                property.Name, metas.ValueKind == JsonValueKind.Array ? [.. metas.EnumerateArray()] : [], property.Value);
        }

        return entries;
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    internal static string? RefOf(JsonElement meta) =>
        meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("phx_ref", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>One key present on a channel (e.g. a user id) with its metas, one per connection or device.</summary>
/// <param name="Key">The presence key.</param>
/// <param name="Metas">The metas, e.g. <c>{"online_at": 1764324000, "username": "alice", "phx_ref": "F-a1"}</c>, the earliest known first.</param>
/// <param name="Presence">The presence object as received, with any fields the server added beside <c>metas</c>.</param>
public sealed record PhoenixPresenceEntry(string Key, IReadOnlyList<JsonElement> Metas, JsonElement Presence)
{
    internal bool HasRef(string? phxRef) => Metas.Any(m => PhoenixPresence.RefOf(m) == phxRef);
}
