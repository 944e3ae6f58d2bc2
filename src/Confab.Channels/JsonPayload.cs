using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Confab.Channels.Internal;

namespace Confab.Channels;

/// <summary>
/// The UTF-8 bytes of one JSON object, written to the wire as they are (never re-serialized).
/// Phoenix requires every text payload to be an object: <c>["3","6","room:lobby","new_msg",{"body":"hello"}]</c>
/// carries the payload <c>{"body":"hello"}</c>.
/// </summary>
/// <remarks>
/// Every factory checks that the bytes hold exactly one JSON object, once, so that a bad payload cannot corrupt a
/// frame that is later shared by many sockets. <c>default(JsonPayload)</c> behaves as <see cref="Empty"/>.
/// </remarks>
public readonly struct JsonPayload : IEquatable<JsonPayload>
{
    private static readonly ReadOnlyMemory<byte> s_empty = "{}"u8.ToArray();

    private readonly ReadOnlyMemory<byte> _utf8;

    private JsonPayload(ReadOnlyMemory<byte> utf8) => _utf8 = utf8;

    /// <summary>The empty object <c>{}</c>.</summary>
    public static JsonPayload Empty => new(s_empty);

    /// <summary>The UTF-8 JSON text of the object (<c>{}</c> for a default instance).</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8.IsEmpty ? s_empty : _utf8;

    /// <summary>
    /// Wraps UTF-8 JSON text that must hold exactly one JSON object. The bytes are not copied: do not change them
    /// afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The bytes are not one JSON object.</exception>
    public static JsonPayload FromUtf8(ReadOnlyMemory<byte> utf8)
    {
        if (!IsSingleObject(utf8.Span))
        {
            throw new ArgumentException("A payload must be exactly one JSON object, e.g. {\"body\":\"hello\"}.", nameof(utf8));
        }

        return new JsonPayload(utf8);
    }

    /// <summary>Parses a JSON object from a string, e.g. <c>JsonPayload.Parse("{\"reason\":\"unauthorized\"}")</c>.</summary>
    /// <exception cref="ArgumentException">The text is not one JSON object.</exception>
    public static JsonPayload Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromUtf8(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Serializes <paramref name="value"/> with source-generated metadata. The value must serialize to a JSON object.
    /// </summary>
    /// <exception cref="ArgumentException">The value does not serialize to a JSON object.</exception>
    public static JsonPayload Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        if (bytes.Length == 0 || bytes[0] != (byte)'{')
        {
            throw new ArgumentException($"{typeof(T).Name} must serialize to a JSON object to be a payload.", nameof(value));
        }

        return new JsonPayload(bytes);
    }

    /// <summary>Copies a JSON object element (for example the payload a client sent) into a payload.</summary>
    /// <exception cref="ArgumentException">The element is not an object.</exception>
    public static JsonPayload FromElement(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A payload must be a JSON object.", nameof(element));
        }

        return new JsonPayload(JsonMarshal.GetRawUtf8Value(element).ToArray());
    }

    /// <summary>Serializes a <see cref="JsonObject"/> into a payload.</summary>
    public static JsonPayload FromObject(JsonObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new JsonPayload(JsonSerializer.SerializeToUtf8Bytes(value, JsonNodeContext.Default.JsonObject));
    }

    /// <summary>Parses the payload into a <see cref="JsonDocument"/> (the caller disposes it).</summary>
    public JsonDocument ToDocument() => JsonDocument.Parse(Utf8);

    /// <summary>The JSON text.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Utf8.Span);

    /// <summary>True when both payloads hold the same bytes.</summary>
    public bool Equals(JsonPayload other) => Utf8.Span.SequenceEqual(other.Utf8.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is JsonPayload other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Utf8.Span);
        return hash.ToHashCode();
    }

    /// <summary>Byte-wise equality.</summary>
    public static bool operator ==(JsonPayload left, JsonPayload right) => left.Equals(right);

    /// <summary>Byte-wise inequality.</summary>
    public static bool operator !=(JsonPayload left, JsonPayload right) => !left.Equals(right);

    internal static JsonPayload Trusted(ReadOnlyMemory<byte> utf8) => new(utf8);

    private static bool IsSingleObject(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
