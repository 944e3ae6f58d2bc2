
namespace Confab.Channels.Internal;

[Flags]
internal enum OutboundFrameFlags : byte
{
    None = 0,
    Binary = 1,
    Droppable = 2,
    Pooled = 4,
}

/// <summary>
/// One encoded WebSocket message waiting in a socket's queue. Either a shared array (a broadcast, the same instance
/// for every subscriber) or an array rented from the pool for this socket alone (a reply or push), returned after
/// the write or when the frame is dropped.
/// </summary>
internal readonly struct OutboundFrame
{
    private OutboundFrame(byte[] buffer, int length, OutboundFrameFlags flags)
    {
        Buffer = buffer;
        Length = length;
        Flags = flags;
    }

    public byte[] Buffer { get; }

    public int Length { get; }

    public OutboundFrameFlags Flags { get; }

    public bool IsBinary => (Flags & OutboundFrameFlags.Binary) != 0;

    public bool IsDroppable => (Flags & OutboundFrameFlags.Droppable) != 0;

    public ReadOnlyMemory<byte> Memory => new(Buffer, 0, Length);

    /// <summary>A frame that shares <paramref name="bytes"/> with other sockets; never returned to the pool.</summary>
    public static OutboundFrame Shared(byte[] bytes, bool binary, bool droppable)
        => new(bytes, bytes.Length, (binary ? OutboundFrameFlags.Binary : 0) | (droppable ? OutboundFrameFlags.Droppable : 0));

    /// <summary>Copies <paramref name="bytes"/> into a rented array owned by this frame.</summary>
    public static OutboundFrame Pooled(ReadOnlySpan<byte> bytes, bool binary)
    {
        byte[] buffer = FrameBuffers.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        return new OutboundFrame(buffer, bytes.Length, OutboundFrameFlags.Pooled | (binary ? OutboundFrameFlags.Binary : 0));
    }

    /// <summary>Takes ownership of an already rented and filled array.</summary>
    public static OutboundFrame FromRented(byte[] rented, int length, bool binary)
        => new(rented, length, OutboundFrameFlags.Pooled | (binary ? OutboundFrameFlags.Binary : 0));

    public void Release()
    {
        if ((Flags & OutboundFrameFlags.Pooled) != 0)
        {
            FrameBuffers.Return(Buffer);
        }
    }
}
