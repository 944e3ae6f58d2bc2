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

    public override bool TryDecodeText(ReadOnlyMemory<byte> utf8, out InboundMessage message, out JsonDocument? document, out string? error)
    {
        message = default;
        document = null;
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(utf8);
        }
        catch (JsonException)
        {
            error = "invalid JSON";
            return false;
        }

        JsonElement root = parsed.RootElement;
        error = root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 5 ? ShapeError
            : !TryReadRef(root[0], out string? joinRef) ? "join_ref must be a string or null"
            : !TryReadRef(root[1], out string? @ref) ? "ref must be a string or null"
            : root[2].ValueKind != JsonValueKind.String ? "topic must be a string"
            : root[3].ValueKind != JsonValueKind.String ? "event must be a string"
            : root[4].ValueKind != JsonValueKind.Object ? "payload must be an object"
            : Accept(out message, joinRef, @ref, root);
        if (error is not null)
        {
            parsed.Dispose();
            return false;
        }

        document = parsed;
        return true;

        static string? Accept(out InboundMessage message, string? joinRef, string? @ref, JsonElement root)
        {
            message = new InboundMessage(joinRef, @ref, root[2].GetString()!, root[3].GetString()!, root[4]);
            return null;
        }
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
