using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Confab.Realtime;

/// <summary>
/// Kestrel's transport buffers (4 KiB blocks, as Kestrel's own pool), pooled, but only as many as were needed lately: each
/// <see cref="Trim"/> releases the blocks that sat in the pool through the whole period since the one before (the fewest it
/// held at any moment). Kestrel's pool keeps every block it ever needed and gives back 1% of them per 10 s: a join storm of
/// 19,600 sockets left 19,100 blocks (78 MB) idle in it.
/// </summary>
internal sealed class BufferPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _count;
    private int _lowWater;
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks in the pool now, ready to be rented.</summary>
    public int Pooled => Volatile.Read(ref _count);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryDequeue(out Block? block))
        {
            int count = Interlocked.Decrement(ref _count);
            if (count < Volatile.Read(ref _lowWater))
            {
                Volatile.Write(ref _lowWater, count); // a racy minimum is close enough: it only decides how many to keep
            }

            return block;
        }

        return new Block(this);
    }

    /// <summary>Releases the blocks no rent needed since the last trim; returns how many.</summary>
    public int Trim() => Release(Volatile.Read(ref _lowWater));

    /// <summary>Releases every pooled block (after most sockets closed).</summary>
    public int ReleaseAll() => Release(int.MaxValue);

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        Release(int.MaxValue);
    }

    private int Release(int most)
    {
        int released = 0;
        while (released < most && _free.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
            released++;
        }

        Volatile.Write(ref _lowWater, Volatile.Read(ref _count));
        return released;
    }

    private void Return(Block block)
    {
        if (_disposed)
        {
            return;
        }

        _free.Enqueue(block);
        Interlocked.Increment(ref _count);
    }

    private sealed class Block(BufferPool pool) : IMemoryOwner<byte>
    {
        // Pinned, as Kestrel's own blocks: the transport may hand them to the OS.
        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public void Dispose() => pool.Return(this);
    }
}

/// <summary>Gives Kestrel <see cref="BufferPool"/>s, and keeps them so the <see cref="MemoryTrimmer"/> can trim them.</summary>
internal sealed class BufferPoolFactory : IMemoryPoolFactory<byte>
{
    private readonly Lock _gate = new();
    private readonly List<BufferPool> _pools = [];

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new BufferPool();
        lock (_gate)
        {
            _pools.Add(pool);
        }

        return pool;
    }

    /// <summary>Blocks pooled now, over every pool.</summary>
    public int Pooled
    {
        get
        {
            lock (_gate)
            {
                return _pools.Sum(pool => pool.Pooled);
            }
        }
    }

    /// <summary>Trims every pool (see <see cref="BufferPool.Trim"/>), or releases all their blocks; returns how many went.</summary>
    public int Trim(bool all)
    {
        lock (_gate)
        {
            return _pools.Sum(pool => all ? pool.ReleaseAll() : pool.Trim());
        }
    }
}
