using System.Text;
using Confab.Channels.Internal;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>
/// Frames queued behind the one being written go out together: held on the writer's thread, then written with the
/// last one in a single write to the connection, in order.
/// </summary>
public sealed class BatchingTests
{
    [Fact]
    public async Task Held_writes_go_out_with_the_next_unheld_write_as_one_write_in_order()
    {
        var inner = new RecordingStream();
        using var stream = new BatchingStream(inner);

        BatchingStream.HoldFlush(stream);
        await Timed(stream.WriteAsync("one,"u8.ToArray()));
        await Timed(stream.WriteAsync("two,"u8.ToArray()));
        BatchingStream.EndHold();
        Assert.Empty(inner.Writes);

        await Timed(stream.WriteAsync("three"u8.ToArray()));
        Assert.Equal(["one,two,three"], inner.Writes);

        await Timed(stream.WriteAsync("four"u8.ToArray()));
        Assert.Equal(["one,two,three", "four"], inner.Writes);
    }

    [Fact]
    public async Task A_hold_is_for_one_stream_on_one_thread()
    {
        var innerA = new RecordingStream();
        var innerB = new RecordingStream();
        using var a = new BatchingStream(innerA);
        using var b = new BatchingStream(innerB);

        // Never across an await: the hold belongs to the thread, which may run other work meanwhile.
        BatchingStream.HoldFlush(a);
        ValueTask toB = b.WriteAsync("b"u8.ToArray());                                          // another stream: not held
        var other = new Thread(() => a.WriteAsync("pong"u8.ToArray()).AsTask().GetAwaiter().GetResult()); // another thread: not held
        other.Start();
        other.Join();
        BatchingStream.EndHold();
        await Timed(toB);

        Assert.Equal(["b"], innerB.Writes);
        Assert.Equal(["pong"], innerA.Writes);
    }

    [Fact]
    public async Task A_burst_of_broadcasts_arrives_complete_and_in_order()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:burst", "1");

        const int count = 500;
        for (int i = 0; i < count; i++)
        {
            await Timed(server.PubSub.BroadcastAsync(new Broadcast("echo:burst", "tick", JsonPayload.Parse($$"""{"n":{{i}}}"""))));
        }

        for (int i = 0; i < count; i++)
        {
            Message tick = await client.ReceiveAsync();
            Assert.Equal("tick", tick.Event);
            Assert.Equal(i, tick.Payload.GetProperty("n").GetInt32());
        }
    }

    private static Task Timed(ValueTask pending) => pending.AsTask().WaitAsync(TestServer.Timeout);

    /// <summary>Records each write to it as text.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<string> Writes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get => 0; set { } }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (Writes)
            {
                Writes.Add(Encoding.UTF8.GetString(buffer.Span));
            }

            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => 0;

        public override void SetLength(long value)
        {
        }
    }
}
