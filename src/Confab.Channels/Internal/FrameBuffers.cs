using System.Buffers;

namespace Confab.Channels.Internal;

/// <summary>
/// Byte arrays for frames: up to <see cref="SharedLimit"/> from <see cref="ArrayPool{T}.Shared"/>, larger ones (the
/// presence state of a room of thousands) from a pool of their own that <see cref="ReleaseLarge"/> empties. The shared pool
/// keeps what it is given, per core and per thread, for a minute or more: after a join storm into a room of 5,000 it still
/// held 95 MB of presence-state buffers when everyone had left. Not pooling them at all cost more: every joiner's state
/// became LOH garbage, and the storm peaked at 2.2-2.6 GiB instead of 1.2-1.7 GiB.
/// </summary>
internal static class FrameBuffers
{
    public const int SharedLimit = 64 * 1024;

    private const int MaxLargeBytes = 16 * 1024 * 1024;
    private const int MaxLargePerSize = 64;

    private static ArrayPool<byte> s_large = ArrayPool<byte>.Create(MaxLargeBytes, MaxLargePerSize);

    public static byte[] Rent(int minimumLength) =>
        minimumLength <= SharedLimit ? ArrayPool<byte>.Shared.Rent(minimumLength) : Volatile.Read(ref s_large).Rent(minimumLength);

    /// <summary>Gives back an array from <see cref="Rent"/>.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length <= SharedLimit)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else if (array.Length <= MaxLargeBytes)
        {
            Volatile.Read(ref s_large).Return(array);
        }
    }

    /// <summary>Leaves every pooled large array to the GC (arrays rented before are still taken back, into a new pool).</summary>
    public static void ReleaseLarge() => Volatile.Write(ref s_large, ArrayPool<byte>.Create(MaxLargeBytes, MaxLargePerSize));
}
