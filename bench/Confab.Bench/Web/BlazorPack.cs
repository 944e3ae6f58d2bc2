using System.Buffers;

namespace Confab.Bench.Web;

/// <summary>
/// The few SignalR hub messages a Blazor circuit exchanges, in the "blazorpack" protocol: SignalR's MessagePack
/// protocol under another name. Each message is a MessagePack array preceded by its length as a base-128 varint;
/// one WebSocket message may carry several. An invocation is <c>[1, {headers}, invocationId|nil, target, [args]]</c>
/// (the client adds an empty stream-id array, as the JavaScript client does), a completion
/// <c>[3, {headers}, invocationId, kind (1 error, 2 void, 3 result), error|result]</c>, a ping <c>[6]</c>, a close
/// <c>[7, error|nil, allowReconnect]</c>. Only what the driver sends is written, and only what the server sends is read.
/// </summary>
internal static class BlazorPack
{
    public const int Invocation = 1;
    public const int Completion = 3;
    public const int Ping = 6;
    public const int Close = 7;

    /// <summary>The JSON handshake that opens the connection, ending with the record separator.</summary>
    public static ReadOnlySpan<byte> Handshake => "{\"protocol\":\"blazorpack\",\"version\":1}\u001e"u8;

    /// <summary>The ping message, framed.</summary>
    public static ReadOnlySpan<byte> PingMessage => [0x02, 0x91, Ping];

    /// <summary>Writes an invocation (with <paramref name="invocationId"/> when a completion is wanted), framed.</summary>
    public static void WriteInvocation(ArrayBufferWriter<byte> output, string? invocationId, string target, params ReadOnlySpan<object?> arguments)
    {
        var body = new ArrayBufferWriter<byte>(256);
        var writer = new PackWriter(body);
        writer.ArrayHeader(6);
        writer.Integer(Invocation);
        writer.MapHeader(0);
        if (invocationId is null)
        {
            writer.Nil();
        }
        else
        {
            writer.String(invocationId);
        }

        writer.String(target);
        writer.ArrayHeader(arguments.Length);
        foreach (var argument in arguments)
        {
            writer.Value(argument);
        }

        writer.ArrayHeader(0);
        WriteLength(output, body.WrittenCount);
        output.Write(body.WrittenSpan);
    }

    /// <summary>
    /// Splits <paramref name="data"/> into its framed messages, calling <paramref name="onMessage"/> with each body; false
    /// when a length runs past the data.
    /// </summary>
    public static bool ForEachMessage<TState>(ReadOnlySpan<byte> data, TState state, MessageHandler<TState> onMessage)
    {
        while (!data.IsEmpty)
        {
            int length = 0;
            int shift = 0;
            int used = 0;
            byte next;
            do
            {
                if (used == data.Length || used == 5)
                {
                    return false;
                }

                next = data[used++];
                length |= (next & 0x7F) << shift;
                shift += 7;
            }
            while ((next & 0x80) != 0);

            if (length < 0 || used + length > data.Length)
            {
                return false;
            }

            onMessage(state, data.Slice(used, length));
            data = data[(used + length)..];
        }

        return true;
    }

    private static void WriteLength(ArrayBufferWriter<byte> output, int length)
    {
        Span<byte> prefix = stackalloc byte[5];
        int used = 0;
        do
        {
            byte next = (byte)(length & 0x7F);
            length >>= 7;
            prefix[used++] = length > 0 ? (byte)(next | 0x80) : next;
        }
        while (length > 0);

        output.Write(prefix[..used]);
    }
}

/// <summary>Called with each hub message of a frame, with state passed through so that no closure is allocated.</summary>
internal delegate void MessageHandler<TState>(TState state, ReadOnlySpan<byte> message);
