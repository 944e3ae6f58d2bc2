using System.Text;

namespace Confab.Channels.Internal;

/// <summary>
/// V2 binary frames: a kind byte, one length byte per field, the UTF-8 fields, then the raw payload to the end.
/// <code>
/// C>S push (0)      0, len(jr), len(ref), len(topic), len(event), jr, ref, topic, event, payload
/// S>C push (0)      0, len(jr), len(topic), len(event), jr, topic, event, payload        (no ref)
/// S>C reply (1)     1, len(jr), len(ref), len(topic), len(status), jr, ref, topic, status, payload
/// S>C broadcast (2) 2, len(topic), len(event), topic, event, payload
/// </code>
/// A null join_ref or ref is an empty field. Only kind 0 is accepted from clients, as in Phoenix.
/// </summary>
internal static class BinaryFrames
{
    private const byte PushKind = 0;
    private const byte ReplyKind = 1;
    private const byte BroadcastKind = 2;
    private const int MaxFieldBytes = 255;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryDecodePush(ReadOnlyMemory<byte> frame, out InboundMessage message, out string? error)
    {
        message = default;
        ReadOnlySpan<byte> span = frame.Span;
        if (span.Length < 5 || span[0] != PushKind)
        {
            error = "invalid binary frame: expected kind 0 (push)";
            return false;
        }

        int joinRefLength = span[1];
        int refLength = span[2];
        int topicLength = span[3];
        int eventLength = span[4];
        int headerLength = 5 + joinRefLength + refLength + topicLength + eventLength;
        if (span.Length < headerLength)
        {
            error = "invalid binary frame: header longer than frame";
            return false;
        }

        int offset = 5;
        if (!TryReadField(span, ref offset, joinRefLength, out string joinRef)
            || !TryReadField(span, ref offset, refLength, out string @ref)
            || !TryReadField(span, ref offset, topicLength, out string topic)
            || !TryReadField(span, ref offset, eventLength, out string @event))
        {
            error = "invalid binary frame: fields must be UTF-8";
            return false;
        }

        message = new InboundMessage(
            joinRef.Length == 0 ? null : joinRef,
            @ref.Length == 0 ? null : @ref,
            topic,
            @event,
            frame[headerLength..]);
        error = null;
        return true;
    }

    public static OutboundFrame EncodePush(string? joinRef, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        int joinRefLength = FieldLength(joinRef, "join_ref");
        int topicLength = FieldLength(topic, "topic");
        int eventLength = FieldLength(@event, "event");
        int length = 4 + joinRefLength + topicLength + eventLength + payload.Length;
        byte[] buffer = FrameBuffers.Rent(length);
        Span<byte> span = buffer;
        span[0] = PushKind;
        span[1] = (byte)joinRefLength;
        span[2] = (byte)topicLength;
        span[3] = (byte)eventLength;
        int offset = 4;
        WriteField(span, ref offset, joinRef);
        WriteField(span, ref offset, topic);
        WriteField(span, ref offset, @event);
        payload.CopyTo(span[offset..]);
        return OutboundFrame.FromRented(buffer, length, binary: true);
    }

    public static OutboundFrame EncodeReply(string? joinRef, string? @ref, string topic, string status, ReadOnlySpan<byte> payload)
    {
        int joinRefLength = FieldLength(joinRef, "join_ref");
        int refLength = FieldLength(@ref, "ref");
        int topicLength = FieldLength(topic, "topic");
        int statusLength = FieldLength(status, "status");
        int length = 5 + joinRefLength + refLength + topicLength + statusLength + payload.Length;
        byte[] buffer = FrameBuffers.Rent(length);
        Span<byte> span = buffer;
        span[0] = ReplyKind;
        span[1] = (byte)joinRefLength;
        span[2] = (byte)refLength;
        span[3] = (byte)topicLength;
        span[4] = (byte)statusLength;
        int offset = 5;
        WriteField(span, ref offset, joinRef);
        WriteField(span, ref offset, @ref);
        WriteField(span, ref offset, topic);
        WriteField(span, ref offset, status);
        payload.CopyTo(span[offset..]);
        return OutboundFrame.FromRented(buffer, length, binary: true);
    }

    public static byte[] EncodeBroadcast(string topic, string @event, ReadOnlySpan<byte> payload)
    {
        int topicLength = FieldLength(topic, "topic");
        int eventLength = FieldLength(@event, "event");
        byte[] buffer = new byte[3 + topicLength + eventLength + payload.Length];
        buffer[0] = BroadcastKind;
        buffer[1] = (byte)topicLength;
        buffer[2] = (byte)eventLength;
        int offset = 3;
        WriteField(buffer, ref offset, topic);
        WriteField(buffer, ref offset, @event);
        payload.CopyTo(buffer.AsSpan(offset));
        return buffer;
    }

    private static int FieldLength(string? value, string field)
    {
        int length = value is null ? 0 : Encoding.UTF8.GetByteCount(value);
        if (length > MaxFieldBytes)
        {
            throw new InvalidOperationException($"A binary frame's {field} is limited to {MaxFieldBytes} UTF-8 bytes; it has {length}.");
        }

        return length;
    }

    private static void WriteField(Span<byte> span, ref int offset, string? value)
    {
        if (value is not null)
        {
            offset += Encoding.UTF8.GetBytes(value, span[offset..]);
        }
    }

    private static bool TryReadField(ReadOnlySpan<byte> span, ref int offset, int length, out string value)
    {
        try
        {
            value = s_strictUtf8.GetString(span.Slice(offset, length));
        }
        catch (DecoderFallbackException)
        {
            value = string.Empty;
            return false;
        }

        offset += length;
        return true;
    }
}
