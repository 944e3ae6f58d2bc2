using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>
/// The presence changes of one topic not yet broadcast, merged into one <c>presence_diff</c>: every joined meta under
/// its key in <c>joins</c>, every left meta under its key in <c>leaves</c>, keys in the order they first changed.
/// </summary>
/// <remarks>
/// A meta that joins and leaves within the same diff stays in both. phoenix.js applies the joins, then the leaves,
/// and matches metas by <c>phx_ref</c> (unique, never reused), so a client ends with the right state whatever it
/// held before: one that never saw the meta adds and removes it, and one whose <c>presence_state</c> was taken
/// between the two (it already holds the meta) removes it. Dropping the pair would leave that client a ghost.
/// </remarks>
internal sealed class PresenceDiff
{
    private readonly Dictionary<string, KeyChanges> _keys = new(StringComparer.Ordinal);

    public int Count => _keys.Count;

    public void Add(string key, byte[]? joined, byte[]? left)
    {
        if (!_keys.TryGetValue(key, out KeyChanges? changes))
        {
            changes = new KeyChanges();
            _keys.Add(key, changes);
        }

        if (joined is not null)
        {
            (changes.Joins ??= []).Add(joined);
        }

        if (left is not null)
        {
            (changes.Leaves ??= []).Add(left);
        }
    }

    /// <summary><c>{"joins":{"alice":{"metas":[…]}},"leaves":{…}}</c>, both always present.</summary>
    public byte[] Encode()
    {
        Utf8JsonWriter writer = JsonFrameWriter.Start();
        writer.WriteStartObject();
        writer.WriteStartObject("joins"u8);
        foreach (var (key, changes) in _keys)
        {
            WriteMetas(writer, key, changes.Joins, static meta => meta);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("leaves"u8);
        foreach (var (key, changes) in _keys)
        {
            WriteMetas(writer, key, changes.Leaves, static meta => meta);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        return JsonFrameWriter.ToArray(writer);
    }

    /// <summary><c>"key":{"metas":[…]}</c>, nothing when <paramref name="items"/> is null.</summary>
    public static void WriteMetas<T>(Utf8JsonWriter writer, string key, List<T>? items, Func<T, byte[]> meta)
    {
        if (items is null)
        {
            return;
        }

        writer.WriteStartObject(key);
        writer.WriteStartArray("metas"u8);
        foreach (T item in items)
        {
            writer.WriteRawValue(meta(item), skipInputValidation: true);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private sealed class KeyChanges
    {
        public List<byte[]>? Joins;
        public List<byte[]>? Leaves;
    }
}
