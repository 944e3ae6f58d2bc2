using Confab.Messages;
using Confab.Rooms;
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
/// <para>Where a sequencer starts is set by the first join that reads the room (<see cref="Prime"/>: what the join's reply
/// covers), or else by the first event it receives: a node hands on what comes after. Handing on happens under the
/// room's lock, so deliveries of one room never interleave; they only queue frames (a fan-out never waits).</para>
/// <para>A gap shows only when a later event comes. The last events of a room that then falls silent (their publish lost,
/// or their node dead before it published) are found by <see cref="CatchUp"/>, which a cluster's sweep calls with the
/// room's newest seq in the store; what the store has and this node has not is given the same moment to arrive as a
/// gap, since under load most of it is merely on its way.</para>
/// </remarks>
public sealed class RoomSequencer(long roomId, Room room, RoomEventStream stream)
{
    private readonly string topic = RoomActivity.Topic(room.Slug);

    /// <summary>Events read from the store per request while a gap is filled.</summary>
    internal const int FillPage = 500;

    private readonly Lock gate = new();
    private readonly SortedDictionary<long, RoomEventEntry> held = [];
    private long delivered = -1;
    private ITimer? gapTimer;
    private bool filling;

    // The newest seq the store is known to have (CatchUp): the next fill reads up to it.
    private long committed;

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

    /// <summary>Starts the sequencer after <paramref name="lastSeq"/> (what a join read), unless it has started already.</summary>
    public void Prime(long lastSeq)
    {
        lock (gate)
        {
            if (delivered < 0)
            {
                delivered = lastSeq;
            }
        }
    }

    /// <summary>
    /// The store has the room's events up to <paramref name="lastSeq"/>: whatever of them is still not handed on after
    /// <see cref="RoomEventStream.GapTimeout"/> (its publish lost, not merely on its way) is read from the store then and
    /// handed on.
    /// </summary>
    public void CatchUp(long lastSeq)
    {
        lock (gate)
        {
            if (delivered < 0 || lastSeq <= delivered || lastSeq <= committed)
            {
                return;
            }

            committed = lastSeq;
            if (!filling)
            {
                StartGapTimerLocked();
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
                stream.Deliver(room, topic, name, payload);
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
                StartGapTimerLocked();
                return;
            }

            held.Remove(seq);
            delivered = seq;
            stream.Deliver(room, topic, next.Event, next.Payload);
        }

        if (committed > delivered)
        {
            StartGapTimerLocked(); // the store has more than arrived: wait for it a moment, then read it
            return;
        }

        gapTimer?.Dispose();
        gapTimer = null;
    }

    private void StartGapTimerLocked() =>
        gapTimer ??= stream.Time.CreateTimer(static state => ((RoomSequencer)state!).OnGapTimeout(), this, stream.GapTimeout, Timeout.InfiniteTimeSpan);

    private void OnGapTimeout() => _ = FillAsync();

    private async Task FillAsync()
    {
        long from;
        lock (gate)
        {
            gapTimer?.Dispose();
            gapTimer = null;
            if ((held.Count == 0 && committed <= delivered) || filling)
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
                stream.Read(roomId, page.Events);
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

    // The newest held seq, or the newest the store is known to have: what the fill must reach.
    private long Until()
    {
        lock (gate)
        {
            return Math.Max(held.Count > 0 ? held.Keys.Last() : delivered, committed);
        }
    }
}
