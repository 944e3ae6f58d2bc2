using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>One decoded client message. Strings are owned; the payload points into the frame's buffer.</summary>
internal readonly struct InboundMessage
{
    public InboundMessage(string? joinRef, string? @ref, string topic, string @event, JsonElement payload)
    {
        JoinRef = joinRef;
        Ref = @ref;
        Topic = topic;
        Event = @event;
        Payload = payload;
    }

    public InboundMessage(string? joinRef, string? @ref, string topic, string @event, ReadOnlyMemory<byte> binaryPayload)
    {
        JoinRef = joinRef;
        Ref = @ref;
        Topic = topic;
        Event = @event;
        BinaryPayload = binaryPayload;
        IsBinary = true;
    }

    public string? JoinRef { get; }

    public string? Ref { get; }

    public string Topic { get; }

    public string Event { get; }

    /// <summary>The payload object of a text frame.</summary>
    public JsonElement Payload { get; }

    /// <summary>The raw payload of a binary frame.</summary>
    public ReadOnlyMemory<byte> BinaryPayload { get; }

    public bool IsBinary { get; }
}

/// <summary>
/// Keeps a received frame's rented buffer (and the document parsed over it) alive while a handler may still read
/// the payload; disposed by whoever finishes last with the message.
/// </summary>
internal readonly struct InboundLease(byte[] buffer, JsonDocument? document) : IDisposable
{
    public void Dispose()
    {
        document?.Dispose();
        FrameBuffers.Return(buffer);
    }
}
