using BenchmarkDotNet.Attributes;
using Confab.Channels.Internal;

namespace Confab.Micro;

/// <summary>Decoding one incoming V2 text frame (what the socket's reader does for every frame).</summary>
public class FrameDecodeBenchmarks
{
    private readonly ReadOnlyMemory<byte> newMessage =
        """["3","17","room:general","new_message",{"content":"hello there, a message of an ordinary length","client_id":"6f1c2a9e"}]"""u8.ToArray();

    private readonly ReadOnlyMemory<byte> heartbeat = """[null,"18","phoenix","heartbeat",{}]"""u8.ToArray();

    [Benchmark(Baseline = true)]
    public bool NewMessage() => Decode(newMessage);

    [Benchmark]
    public bool Heartbeat() => Decode(heartbeat);

    private static bool Decode(ReadOnlyMemory<byte> frame)
    {
        bool ok = V2Serializer.Instance.TryDecodeText(frame, out _, out var document, out _);
        document?.Dispose();
        return ok;
    }
}
