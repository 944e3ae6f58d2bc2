using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>
/// Protocol 2.x: text frames holding <c>[join_ref, ref, topic, event, payload]</c> and binary frames
/// (see <see cref="BinaryFrames"/>).
/// </summary>
internal sealed class V2Serializer : FrameSerializer
{
    public static readonly V2Serializer Instance = new();

    private const string ShapeError = "expected [join_ref, ref, topic, event, payload]";

    private V2Serializer()
    {
    }

    public override int CacheSlot => 0;

    public override bool SupportsBinary => true;

    protected override string? ReadMessage(JsonElement root, out InboundMessage message)
    {
        message = default;
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 5)
        {
            return ShapeError;
        }

        if (!TryReadRef(root[0], out string? joinRef))
        {
            return "join_ref must be a string or null";
        }

        if (!TryReadRef(root[1], out string? @ref))
        {
            return "ref must be a string or null";
        }

        JsonElement topic = root[2];
        JsonElement @event = root[3];
        JsonElement payload = root[4];
        if (topic.ValueKind != JsonValueKind.String)
        {
            return "topic must be a string";
        }

        if (@event.ValueKind != JsonValueKind.String)
        {
            return "event must be a string";
        }

        if (payload.ValueKind != JsonValueKind.Object)
        {
            return "payload must be an object";
        }

        message = new InboundMessage(joinRef, @ref, topic.GetString()!, @event.GetString()!, payload);
        return null;
    }

    public override bool TryDecodeBinary(ReadOnlyMemory<byte> bytes, out InboundMessage message, out string? error)
        => BinaryFrames.TryDecodePush(bytes, out message, out error);

    public override byte[]? EncodeBroadcast(Broadcast message)
        => message.IsBinary
            ? BinaryFrames.EncodeBroadcast(message.Topic, message.Event, message.BinaryPayload.Span)
            : base.EncodeBroadcast(message);

    public override OutboundFrame EncodeBinaryPush(string? joinRef, string topic, string @event, ReadOnlySpan<byte> payload)
        => BinaryFrames.EncodePush(joinRef, topic, @event, payload);

    public override OutboundFrame EncodeBinaryReply(string? joinRef, string? @ref, string topic, string status, ReadOnlySpan<byte> payload)
        => BinaryFrames.EncodeReply(joinRef, @ref, topic, status, payload);

    protected override void WriteEnvelopeStart(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event)
    {
        writer.WriteStartArray();
        WriteStringOrNull(writer, joinRef);
        WriteStringOrNull(writer, @ref);
        writer.WriteStringValue(topic);
        writer.WriteStringValue(@event);
    }

    protected override void WriteEnvelopeEnd(Utf8JsonWriter writer) => writer.WriteEndArray();

    private static void WriteStringOrNull(Utf8JsonWriter writer, string? value)
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
