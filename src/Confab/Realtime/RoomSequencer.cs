using Confab.Messages;
using Confab.Storage;

namespace Confab.Realtime;

/// <summary>
/// Hands one room's events on in <c>seq</c> order, each once, whatever order they arrive in: a duplicate (or anything at or
/// below the last handed on) is dropped; an event past a gap is held, and when the gap is still open after
/// <see cref="RoomEventStream.GapTimeout"/>, what is missing is read from the store and handed on first. Events committed
/// by this process arrive in order; a backplane between nodes may not keep it, and this is where that is repaired, for
/// every transport at once.
/// </summary>
/// <remarks>
/// The first event a sequencer receives sets where it starts: a node hands on what it receives from then on. Handing on
/// happens under the room's lock, so deliveries of one room never interleave; they only queue frames (a fan-out never waits).
/// </remarks>
public sealed class RoomSequencer(long roomId, string topic, RoomEventStream stream)
{
    /// <summary>Events read from the store per request while a gap is filled.</summary>
    internal const int FillPage = 500;

    private readonly Lock gate = new();
    private readonly SortedDictionary<long, RoomEventEntry> held = [];
    private long delivered = -1;
    private ITimer? gapTimer;
    private bool filling;

    /// <summary>The last seq handed on (-1 before the first event).</summary>
    public long Delivered
    {
        get
        {
            lock (gate)
            {
                return delivered;
            }
        }
    }

    /// <summary>Events waiting behind a gap.</summary>
    public int Held
    {
        get
        {
            lock (gate)
            {
                return held.Count;
            }
        }
    }

    public void Receive(string name, IRoomEvent payload)
    {
        lock (gate)
        {
            var seq = payload.Seq;
            if (delivered < 0)
            {
                delivered = seq - 1;
            }

            // The common case, every event of this process's own commits: the next one, nothing waiting. Handed on as is.
            if (seq == delivered + 1 && held.Count == 0 && !filling)
            {
                delivered = seq;
                stream.Deliver(topic, name, payload);
                return;
            }

            if (seq <= delivered || !held.TryAdd(seq, new RoomEventEntry(name, payload)))
            {
                stream.Dropped();
                return;
            }

            if (!filling)
            {
                DrainLocked();
            }
        }
    }

    // Hands on every held event that follows the last handed on; a gap left starts (or keeps) the timer.
    private void DrainLocked()
    {
        while (held.Count > 0)
        {
            var (seq, next) = held.First();
            if (seq != delivered + 1)
            {
                gapTimer ??= stream.Time.CreateTimer(static state => ((RoomSequencer)state!).OnGapTimeout(), this, stream.GapTimeout, Timeout.InfiniteTimeSpan);
                return;
            }

            held.Remove(seq);
            delivered = seq;
            stream.Deliver(topic, next.Event, next.Payload);
        }

        gapTimer?.Dispose();
        gapTimer = null;
    }

    private void OnGapTimeout() => _ = FillAsync();

    private async Task FillAsync()
    {
        long from;
        lock (gate)
        {
            gapTimer?.Dispose();
            gapTimer = null;
            if (held.Count == 0 || filling)
            {
                return;
            }

            filling = true;
            from = delivered;
        }

        var filled = false;
        try
        {
            var until = Until();
            while (from < until)
            {
                var page = await stream.Store.ListEventsAfterAsync(roomId, from, FillPage);
                lock (gate)
                {
                    foreach (var entry in page.Events)
                    {
                        if (entry.Payload.Seq <= until)
                        {
                            held.TryAdd(entry.Payload.Seq, entry);
                        }
                    }
                }

                if (!page.HasMore || page.Events.Count == 0)
                {
                    break;
                }

                from = page.Events[^1].Payload.Seq;
            }

            filled = true;
            stream.GapFilled();
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            stream.GapFillFailed(roomId, e);
        }
        finally
        {
            lock (gate)
            {
                filling = false;
                if (filled && held.Count > 0 && held.First().Key != delivered + 1)
                {
                    // Seqs are gap-free in the store, so what it does not have was never committed: go on past it.
                    delivered = held.First().Key - 1;
                }

                // Hands on what was filled and what queued meanwhile; after a failed read, the timer tries again.
                DrainLocked();
            }
        }
    }

    // The newest held seq: what the fill must reach.
    private long Until()
    {
        lock (gate)
        {
            return held.Count > 0 ? held.Keys.Last() : delivered;
        }
    }
}
