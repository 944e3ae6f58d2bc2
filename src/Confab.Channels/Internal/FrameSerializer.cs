using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>
/// Encodes and decodes the messages of one protocol version. Outgoing frames share one shape: an envelope
/// (<c>[join_ref, ref, topic, event, …]</c> in V2, <c>{"topic":…,"event":…,"ref":…,"payload":…}</c> in V1) around a
/// payload that is written raw, never re-serialized.
/// </summary>
internal abstract class FrameSerializer
{
    private static readonly byte[] s_replyStatus = "status"u8.ToArray();
    private static readonly byte[] s_replyResponse = "response"u8.ToArray();

    /// <summary>The slot used to cache this serializer's encoding of a broadcast.</summary>
    public abstract int CacheSlot { get; }

    public abstract bool SupportsBinary { get; }

    /// <summary>
    /// Parses a text frame. On success <paramref name="document"/> owns the parsed frame (the payload element points
    /// into it and into <paramref name="utf8"/>); on failure <paramref name="error"/> says what was wrong.
    /// </summary>
    public bool TryDecodeText(ReadOnlyMemory<byte> utf8, out InboundMessage message, out JsonDocument? document, out string? error)
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

        try
        {
            error = ReadMessage(parsed.RootElement, out message);
        }
        catch (InvalidOperationException)
        {
            // JsonElement.GetString refuses escapes that are no text, such as a lone surrogate ("\ud800").
            error = "strings must be valid Unicode text";
        }

        if (error is not null)
        {
            parsed.Dispose();
            return false;
        }

        document = parsed;
        return true;
    }

    public abstract bool TryDecodeBinary(ReadOnlyMemory<byte> bytes, out InboundMessage message, out string? error);

    /// <summary><c>[join_ref, ref, topic, event, payload]</c> for this socket alone.</summary>
    public OutboundFrame EncodeMessage(string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        Utf8JsonWriter writer = JsonFrameWriter.Start();
        WriteEnvelopeStart(writer, joinRef, @ref, topic, @event);
        writer.WriteRawValue(payload, skipInputValidation: true);
        WriteEnvelopeEnd(writer);
        return JsonFrameWriter.ToPooledFrame(writer);
    }

    /// <summary>
    /// <c>[join_ref, null, topic, event, payload]</c> for this socket alone, the payload written by
    /// <paramref name="writePayload"/> straight into a rented buffer: for payloads too large to copy around (a presence state).
    /// </summary>
    public OutboundFrame EncodeMessage<TState>(string? joinRef, string topic, string @event, TState state, Action<Utf8JsonWriter, TState> writePayload)
    {
        var buffer = new PooledBufferWriter(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            WriteEnvelopeStart(writer, joinRef, null, topic, @event);
            writePayload(writer, state);
            WriteEnvelopeEnd(writer);
        }

        return OutboundFrame.FromRented(buffer.Detach(out int length), length, binary: false);
    }

    /// <summary><c>[join_ref, ref, topic, "phx_reply", {"status": status, "response": response}]</c>.</summary>
    public OutboundFrame EncodeReply(string? joinRef, string? @ref, string topic, string status, ReadOnlySpan<byte> response)
    {
        Utf8JsonWriter writer = JsonFrameWriter.Start();
        WriteEnvelopeStart(writer, joinRef, @ref, topic, ChannelEvents.Reply);
        writer.WriteStartObject();
        writer.WriteString(s_replyStatus, status);
        writer.WritePropertyName(s_replyResponse);
        writer.WriteRawValue(response, skipInputValidation: true);
        writer.WriteEndObject();
        WriteEnvelopeEnd(writer);
        return JsonFrameWriter.ToPooledFrame(writer);
    }

    /// <summary>The frame shared by every subscriber of a broadcast, or null when this version cannot carry it.</summary>
    public virtual byte[]? EncodeBroadcast(Broadcast message)
    {
        if (message.IsBinary)
        {
            return null;
        }

        Utf8JsonWriter writer = JsonFrameWriter.Start();
        WriteEnvelopeStart(writer, null, null, message.Topic, message.Event);
        writer.WriteRawValue(message.Payload.Utf8.Span, skipInputValidation: true);
        WriteEnvelopeEnd(writer);
        return JsonFrameWriter.ToArray(writer);
    }

    public abstract OutboundFrame EncodeBinaryPush(string? joinRef, string topic, string @event, ReadOnlySpan<byte> payload);

    public abstract OutboundFrame EncodeBinaryReply(string? joinRef, string? @ref, string topic, string status, ReadOnlySpan<byte> payload);

    /// <summary>Reads a message from a parsed text frame; returns the problem, or null when it is well-formed.</summary>
    protected abstract string? ReadMessage(JsonElement root, out InboundMessage message);

    protected abstract void WriteEnvelopeStart(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event);

    protected abstract void WriteEnvelopeEnd(Utf8JsonWriter writer);

    protected static bool TryReadRef(JsonElement element, out string? value)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                value = null;
                return true;
            case JsonValueKind.String:
                value = element.GetString();
                return true;
            default:
                value = null;
                return false;
        }
    }
}

/// <summary>Event names of the protocol itself.</summary>
internal static class ChannelEvents
{
    public const string Join = "phx_join";
    public const string Leave = "phx_leave";
    public const string Reply = "phx_reply";
    public const string Close = "phx_close";
    public const string Error = "phx_error";
    public const string Heartbeat = "heartbeat";
    public const string HeartbeatTopic = "phoenix";
    public const string Disconnect = "disconnect";
}
