using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>
/// Protocol 1.x (legacy): one JSON object per frame. In: <c>{"topic","event","payload","ref"}</c> required,
/// <c>"join_ref"</c> optional. Out: <c>{"topic","event","ref","payload"}</c> without join_ref. No binary frames.
/// </summary>
internal sealed class V1Serializer : FrameSerializer
{
    public static readonly V1Serializer Instance = new();

    private static readonly byte[] s_topic = "topic"u8.ToArray();
    private static readonly byte[] s_event = "event"u8.ToArray();
    private static readonly byte[] s_ref = "ref"u8.ToArray();
    private static readonly byte[] s_payload = "payload"u8.ToArray();

    private V1Serializer()
    {
    }

    public override int CacheSlot => 1;

    public override bool SupportsBinary => false;

    public override bool TryDecodeBinary(ReadOnlyMemory<byte> bytes, out InboundMessage message, out string? error)
    {
        message = default;
        error = "binary frames need vsn 2.0.0";
        return false;
    }

    public override OutboundFrame EncodeBinaryPush(string? joinRef, string topic, string @event, ReadOnlySpan<byte> payload)
        => throw new NotSupportedException("Binary pushes need a socket connected with vsn 2.0.0.");

    public override OutboundFrame EncodeBinaryReply(string? joinRef, string? @ref, string topic, string status, ReadOnlySpan<byte> payload)
        => throw new NotSupportedException("Binary replies need a socket connected with vsn 2.0.0.");

    protected override void WriteEnvelopeStart(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event)
    {
        writer.WriteStartObject();
        writer.WriteString(s_topic, topic);
        writer.WriteString(s_event, @event);
        if (@ref is null)
        {
            writer.WriteNull(s_ref);
        }
        else
        {
            writer.WriteString(s_ref, @ref);
        }

        writer.WritePropertyName(s_payload);
    }

    protected override void WriteEnvelopeEnd(Utf8JsonWriter writer) => writer.WriteEndObject();

    protected override string? ReadMessage(JsonElement root, out InboundMessage message)
    {
        message = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "expected {topic, event, payload, ref}";
        }

        if (!root.TryGetProperty(s_topic, out JsonElement topic) || topic.ValueKind != JsonValueKind.String)
        {
            return "topic must be a string";
        }

        if (!root.TryGetProperty(s_event, out JsonElement @event) || @event.ValueKind != JsonValueKind.String)
        {
            return "event must be a string";
        }

        if (!root.TryGetProperty(s_payload, out JsonElement payload) || payload.ValueKind != JsonValueKind.Object)
        {
            return "payload must be an object";
        }

        if (!root.TryGetProperty(s_ref, out JsonElement refElement) || !TryReadRef(refElement, out string? @ref))
        {
            return "ref must be a string or null";
        }

        string? joinRef = null;
        if (root.TryGetProperty("join_ref"u8, out JsonElement joinRefElement) && !TryReadRef(joinRefElement, out joinRef))
        {
            return "join_ref must be a string or null";
        }

        message = new InboundMessage(joinRef, @ref, topic.GetString()!, @event.GetString()!, payload);
        return null;
    }
}
