using Confab.Channels.Internal;

namespace Confab.Channels;

/// <summary>Memory the channels keep for reuse, for an application that wants it back (after most sockets have gone).</summary>
public static class ChannelsMemory
{
    /// <summary>
    /// Leaves the pooled buffers of large frames (over 64 KiB: presence states of rooms of thousands) to the GC. Safe at any
    /// time: frames in flight give their buffers back to a new pool.
    /// </summary>
    public static void ReleasePooledFrames() => FrameBuffers.ReleaseLarge();
}
