using Confab.Channels.Internal;

namespace Confab.Channels;

/// <summary>
/// Holds the wake-ups of socket writers while one thread publishes a batch of broadcasts, and wakes them at its end:
/// a socket that gets several frames from one batch (a room's message and, on its user's channel, the counts it
/// changed) writes them in one send, not one each. Past <see cref="MaxHeld"/> held sockets the held ones wake at once,
/// so a large fan-out still sends in parallel with the rest of its publishing.
/// </summary>
/// <example><code>using (BroadcastBatch.Begin()) { publish everything that one commit made }</code></example>
public static class BroadcastBatch
{
    /// <summary>Sockets whose wake-ups one batch holds at most before it wakes them.</summary>
    public const int MaxHeld = 256;

    [ThreadStatic]
    private static List<WriterSignal>? t_held;

    [ThreadStatic]
    private static int t_depth;

    /// <summary>Starts a batch on this thread (batches nest: the outermost one's end wakes the sockets).</summary>
    public static Scope Begin()
    {
        t_depth++;
        return default;
    }

    /// <summary>Ends the batch it began.</summary>
    public readonly struct Scope : IDisposable
    {
        /// <summary>Ends the batch; the outermost end wakes the sockets it held.</summary>
        public void Dispose()
        {
            if (--t_depth == 0)
            {
                ReleaseHeld();
            }
        }
    }

    // Inside a batch, the signal is held (once) and set at the batch's end; outside, the caller sets it now.
    internal static bool TryHold(WriterSignal signal)
    {
        if (t_depth == 0)
        {
            return false;
        }

        if (signal.Hold())
        {
            var held = t_held ??= new List<WriterSignal>(MaxHeld);
            held.Add(signal);
            if (held.Count >= MaxHeld)
            {
                ReleaseHeld();
            }
        }

        return true;
    }

    private static void ReleaseHeld()
    {
        if (t_held is not { Count: > 0 } held)
        {
            return;
        }

        foreach (var signal in held)
        {
            signal.Release();
        }

        held.Clear();
    }
}
