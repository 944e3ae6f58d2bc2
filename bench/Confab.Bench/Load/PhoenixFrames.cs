using System.Buffers.Text;

namespace Confab.Bench.Load;

/// <summary>
/// Writes the Phoenix V2 text frames a client sends, <c>[join_ref, ref, topic, event, payload]</c>, into the caller's
/// span: no allocation (the other half of <see cref="FrameScan"/>). Shared by the socket load generator
/// (<see cref="LoadClient"/>) and the web driver's WebAssembly room page (<see cref="Web.SocketPageSession"/>).
/// </summary>
internal static class PhoenixFrames
{
    /// <summary>The socket's upgrade path and query, as phoenix.js asks for it.</summary>
    public static string SocketPath(string token) => $"/socket/websocket?token={Uri.EscapeDataString(token)}&vsn=2.0.0";

    /// <summary>How long a push frame can be: its parts and room for the refs and punctuation.</summary>
    public static int MaxLength(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> payload) =>
        64 + topic.Length + @event.Length + payload.Length;

    /// <summary>Writes <c>["join_ref","ref","topic","event",payload]</c> (the payload as JSON); its length.</summary>
    public static int Push(Span<byte> frame, long joinRef, long reference, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> payload)
    {
        int at = Append(frame, "[\""u8);
        at += Format(frame[at..], joinRef);
        at += Append(frame[at..], "\",\""u8);
        at += Format(frame[at..], reference);
        at += Append(frame[at..], "\",\""u8);
        at += Append(frame[at..], topic);
        at += Append(frame[at..], "\",\""u8);
        at += Append(frame[at..], @event);
        at += Append(frame[at..], "\","u8);
        at += Append(frame[at..], payload);
        at += Append(frame[at..], "]"u8);
        return at;
    }

    /// <summary>Writes <c>[null,"ref","phoenix","heartbeat",{}]</c>; its length (at most 64).</summary>
    public static int Heartbeat(Span<byte> frame, long reference)
    {
        int at = Append(frame, "[null,\""u8);
        at += Format(frame[at..], reference);
        at += Append(frame[at..], "\",\"phoenix\",\"heartbeat\",{}]"u8);
        return at;
    }

    public static int Format(Span<byte> target, long value) =>
        Utf8Formatter.TryFormat(value, target, out int written) ? written : throw new ArgumentException("no room for a number", nameof(target));

    public static int Append(Span<byte> target, ReadOnlySpan<byte> source)
    {
        source.CopyTo(target);
        return source.Length;
    }
}
