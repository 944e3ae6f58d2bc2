using System.Buffers.Text;

namespace Confab.Bench.Load;

/// <summary>
/// Reads what a load client needs from a Phoenix V2 text frame, <c>[join_ref, ref, topic, event, payload]</c>, by
/// scanning its bytes: no parse tree, no allocation. Only for frames Confab writes (refs, topics and events without
/// escapes); anything else reads as <see cref="FrameKind.Other"/>.
/// </summary>
internal static class FrameScan
{
    public static FrameKind Read(ReadOnlySpan<byte> frame, out long reference, out ReadOnlySpan<byte> payload)
    {
        reference = 0;
        payload = default;
        int at = 0;
        if (!Expect(frame, ref at, (byte)'[') || !SkipRefOrNull(frame, ref at, out _) || !Expect(frame, ref at, (byte)',')
            || !SkipRefOrNull(frame, ref at, out var refText) || !Expect(frame, ref at, (byte)',')
            || !ReadString(frame, ref at, out _) || !Expect(frame, ref at, (byte)',')
            || !ReadString(frame, ref at, out var @event) || !Expect(frame, ref at, (byte)','))
        {
            return FrameKind.Other;
        }

        payload = frame[at..^1];
        reference = !refText.IsEmpty && Utf8Parser.TryParse(refText, out long parsed, out _) ? parsed : 0;

        return @event switch
        {
            _ when @event.SequenceEqual("new_message"u8) => FrameKind.NewMessage,
            _ when @event.SequenceEqual("phx_reply"u8) => FrameKind.Reply,
            _ when @event.SequenceEqual("presence_diff"u8) => FrameKind.PresenceDiff,
            _ when @event.SequenceEqual("presence_state"u8) => FrameKind.PresenceState,
            _ when @event.SequenceEqual("phx_error"u8) || @event.SequenceEqual("phx_close"u8) => FrameKind.ChannelClosed,
            _ => FrameKind.Other,
        };
    }

    /// <summary>True for a reply payload <c>{"status":"ok",…}</c>.</summary>
    public static bool IsOk(ReadOnlySpan<byte> replyPayload) => replyPayload.StartsWith("{\"status\":\"ok\""u8);

    /// <summary>
    /// From a <c>new_message</c> payload, its room <c>seq</c> and the load client's content <c>t:&lt;sent timestamp&gt;:&lt;number&gt;</c>.
    /// </summary>
    public static bool TryReadLoadMessage(ReadOnlySpan<byte> payload, out long seq, out long sentAt, out long number)
    {
        seq = sentAt = number = 0;
        int seqAt = payload.IndexOf("\"seq\":"u8);
        int contentAt = payload.IndexOf("\"content\":\"t:"u8);
        if (seqAt < 0 || contentAt < 0 || !Utf8Parser.TryParse(payload[(seqAt + 6)..], out seq, out _))
        {
            return false;
        }

        var content = payload[(contentAt + 13)..];
        if (!Utf8Parser.TryParse(content, out sentAt, out int used) || used >= content.Length || content[used] != (byte)':')
        {
            return false;
        }

        return Utf8Parser.TryParse(content[(used + 1)..], out number, out _);
    }

    private static bool Expect(ReadOnlySpan<byte> frame, ref int at, byte expected)
    {
        if (at < frame.Length && frame[at] == expected)
        {
            at++;
            return true;
        }

        return false;
    }

    private static bool SkipRefOrNull(ReadOnlySpan<byte> frame, ref int at, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (frame[at..].StartsWith("null"u8))
        {
            at += 4;
            return true;
        }

        return ReadString(frame, ref at, out text);
    }

    private static bool ReadString(ReadOnlySpan<byte> frame, ref int at, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (at >= frame.Length || frame[at] != (byte)'"')
        {
            return false;
        }

        int close = frame[(at + 1)..].IndexOfAny((byte)'"', (byte)'\\');
        if (close < 0 || frame[at + 1 + close] == (byte)'\\')
        {
            return false;
        }

        text = frame.Slice(at + 1, close);
        at += close + 2;
        return true;
    }
}

internal enum FrameKind
{
    Other,
    Reply,
    NewMessage,
    PresenceDiff,
    PresenceState,

    /// <summary><c>phx_error</c> or <c>phx_close</c>: the server ended the channel.</summary>
    ChannelClosed,
}
