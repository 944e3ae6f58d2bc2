using System.Buffers;

namespace Confab.Channels.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays from <see cref="FrameBuffers"/>, for frames too large to
/// encode in the per-thread buffer (a presence state of thousands of members): growing rents a larger array, and the
/// finished bytes are handed over, still rented, to the frame that sends them.
/// </summary>
internal sealed class PooledBufferWriter(int initialSize) : IBufferWriter<byte>
{
    private byte[] _buffer = FrameBuffers.Rent(initialSize);
    private int _written;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Hands the rented array (and how much of it was written) to the caller, who returns it to the pool.</summary>
    public byte[] Detach(out int length)
    {
        byte[] buffer = _buffer;
        length = _written;
        _buffer = [];
        _written = 0;
        return buffer;
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 256);
        if (needed <= _buffer.Length)
        {
            return;
        }

        byte[] larger = FrameBuffers.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        FrameBuffers.Return(_buffer);
        _buffer = larger;
    }
}
