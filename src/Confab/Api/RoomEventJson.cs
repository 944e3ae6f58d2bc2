using System.Text.Json;
using System.Text.Json.Serialization;
using Confab.Channels;
using Confab.Messages;

namespace Confab.Api;

/// <summary>Room events as JSON: each payload by its own shape (docs/protocol.md).</summary>
public static class RoomEventJson
{
    /// <summary>An event's payload, encoded once for a broadcast.</summary>
    public static JsonPayload Payload(IRoomEvent payload) => payload switch
    {
        Message message => JsonPayload.Serialize(message, ConfabJsonContext.Default.Message),
        MessageUpdated updated => JsonPayload.Serialize(updated, ConfabJsonContext.Default.MessageUpdated),
        MessageDeleted deleted => JsonPayload.Serialize(deleted, ConfabJsonContext.Default.MessageDeleted),
        ReactionChanged reaction => JsonPayload.Serialize(reaction, ConfabJsonContext.Default.ReactionChanged),
        MemberChanged member => JsonPayload.Serialize(member, ConfabJsonContext.Default.MemberChanged),
        RoomUpdated updated => JsonPayload.Serialize(updated, ConfabJsonContext.Default.RoomUpdated),
        _ => throw Unknown(payload),
    };

    /// <summary>Writes a payload into a larger document (a replayed entry), as <see cref="Payload"/> encodes it.</summary>
    internal static void Write(Utf8JsonWriter writer, IRoomEvent payload) =>
        writer.WriteRawValue(Payload(payload).Utf8.Span, skipInputValidation: true);

    private static JsonException Unknown(IRoomEvent payload) => new($"No JSON shape for a room event of type {payload.GetType().Name}.");
}

/// <summary>Writes a <see cref="RoomEventEntry"/> as <c>{"event": name, "payload": {...}}</c>.</summary>
public sealed class RoomEventEntryConverter : JsonConverter<RoomEventEntry>
{
    public override RoomEventEntry Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Room event entries are only written.");

    public override void Write(Utf8JsonWriter writer, RoomEventEntry value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("event", value.Event);
        writer.WritePropertyName("payload");
        RoomEventJson.Write(writer, value.Payload);
        writer.WriteEndObject();
    }
}
