using System.Buffers;
using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>
/// A per-thread <see cref="Utf8JsonWriter"/> over a reused buffer, so encoding a frame allocates nothing but the
/// result (a pooled copy for one socket, or one shared array for a broadcast).
/// </summary>
internal static class JsonFrameWriter
{
    // A thread that once encoded a huge frame should not keep that buffer forever.
    private const int MaxRetainedBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static Utf8JsonWriter Start()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return writer;
    }

    public static OutboundFrame ToPooledFrame(Utf8JsonWriter writer)
    {
        writer.Flush();
        var frame = OutboundFrame.Pooled(t_buffer!.WrittenSpan, binary: false);
        Trim();
        return frame;
    }

    public static byte[] ToArray(Utf8JsonWriter writer)
    {
        writer.Flush();
        byte[] bytes = t_buffer!.WrittenSpan.ToArray();
        Trim();
        return bytes;
    }

    private static void Trim()
    {
        if (t_buffer!.Capacity > MaxRetainedBytes)
        {
            t_buffer = null;
            t_writer!.Dispose();
            t_writer = null;
        }
    }
}
