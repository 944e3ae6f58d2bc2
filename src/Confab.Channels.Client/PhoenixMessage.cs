using System.Buffers;
using System.Text.Json;

namespace Confab.Channels.Client;

/// <summary>
/// One Phoenix V2 JSON message, <c>[join_ref, ref, topic, event, payload]</c>, e.g. a reply
/// <c>["3","6","room:lobby","phx_reply",{"status":"ok","response":{"id":42}}]</c> or a broadcast
/// <c>[null,null,"room:lobby","new_msg",{"body":"hello"}]</c>. Refs are opaque strings, compared as sent.
/// </summary>
/// <param name="JoinRef">The ref of the join the message belongs to; null for broadcasts and heartbeats.</param>
/// <param name="Ref">The ref of the request a reply answers; null for pushes and broadcasts from the server.</param>
/// <param name="Topic">The topic, e.g. <c>"room:lobby"</c>.</param>
/// <param name="Event">The event, e.g. <c>"phx_reply"</c> or <c>"new_msg"</c>.</param>
/// <param name="Payload">The payload, usually an object.</param>
public sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload)
{
    /// <summary>Reads a V2 text frame. Throws <see cref="JsonException"/> when it is not a 5-element array with string or null refs.</summary>
    public static PhoenixMessage Parse(ReadOnlySpan<byte> utf8Frame)
    {
        var reader = new Utf8JsonReader(utf8Frame);
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartArray, "a message is a JSON array");
        var joinRef = ReadRef(ref reader);
        var @ref = ReadRef(ref reader);
        var topic = ReadString(ref reader);
        var @event = ReadString(ref reader);
        Expect(reader.Read(), "a message has a payload");
        var payload = JsonElement.ParseValue(ref reader);
        Expect(reader.Read() && reader.TokenType == JsonTokenType.EndArray, "a message has five elements");
        return new PhoenixMessage(joinRef, @ref, topic, @event, payload);

        static string? ReadRef(ref Utf8JsonReader reader)
        {
            Expect(reader.Read() && reader.TokenType is JsonTokenType.String or JsonTokenType.Null, "refs are strings or null");
            return reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
        }

        static string ReadString(ref Utf8JsonReader reader)
        {
            Expect(reader.Read() && reader.TokenType == JsonTokenType.String, "topic and event are strings");
            return reader.GetString()!;
        }
    }

    /// <summary>Writes <c>[joinRef, ref, topic, event, payload]</c>; <paramref name="payloadJson"/> is one JSON value, written as is.</summary>
    public static byte[] Encode(string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payloadJson)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + topic.Length + @event.Length + payloadJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            WriteRef(writer, joinRef);
            WriteRef(writer, @ref);
            writer.WriteStringValue(topic);
            writer.WriteStringValue(@event);
            writer.WriteRawValue(payloadJson, skipInputValidation: true);
            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();

        static void WriteRef(Utf8JsonWriter writer, string? value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(value);
            }
        }
    }

    /// <summary>Runs <paramref name="write"/>, which must write exactly one JSON value, and returns the UTF-8 JSON.</summary>
    internal static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        // Utf8JsonWriter validates nesting but not that something was written, nor that only one value was.
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        Expect(reader.Read() && reader.TrySkip() && !reader.Read(), "a payload writer must write exactly one JSON value");
        return buffer.WrittenSpan.ToArray();
    }

    private static void Expect(bool condition, string rule)
    {
        if (!condition)
        {
            throw new JsonException($"Not a Phoenix V2 message: {rule}.");
        }
    }
}
