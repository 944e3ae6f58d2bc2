using Confab.Channels.Internal;

namespace Confab.Channels.Tests;

public sealed class FrameBuffersTests
{
    // 9 MB: a size no other test rents, so the pool (static) is this test's alone.
    [Fact]
    public void Large_frame_buffers_are_reused_until_released_and_arrays_out_at_the_release_are_still_taken_back()
    {
        byte[] first = FrameBuffers.Rent(9_000_000);
        FrameBuffers.Return(first);
        byte[] again = FrameBuffers.Rent(9_000_000);
        Assert.Same(first, again);

        ChannelsMemory.ReleasePooledFrames();
        byte[] afterRelease = FrameBuffers.Rent(9_000_000);
        Assert.NotSame(first, afterRelease);

        FrameBuffers.Return(again); // rented from the pool before the release: taken into the new one
        FrameBuffers.Return(afterRelease);
        byte[] small = FrameBuffers.Rent(1000);
        Assert.True(small.Length <= FrameBuffers.SharedLimit);
        FrameBuffers.Return(small);
    }
}
