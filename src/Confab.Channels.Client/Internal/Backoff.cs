namespace Confab.Channels.Client.Internal;

/// <summary>
/// phoenix.js's <c>Timer</c>: runs a callback after the wait for the next try (<c>after(tries + 1)</c>); <see cref="Reset"/>
/// cancels it and starts the count again. Used for reconnects and rejoins.
/// </summary>
internal sealed class Backoff(Action callback, Func<int, TimeSpan> after, TimeProvider time)
{
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private int _tries;
    private int _generation;

    public void Reset()
    {
        lock (_gate)
        {
            _tries = 0;
            _generation++;
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>Runs the callback after the next try's wait (replacing any scheduled run); returns the wait.</summary>
    public TimeSpan Schedule()
    {
        lock (_gate)
        {
            _generation++;
            _timer?.Dispose();
            var wait = after(_tries + 1);
            _timer = time.CreateTimer(static state => ((Fire)state!).Run(), new Fire(this, _generation), wait, Timeout.InfiniteTimeSpan);
            return wait;
        }
    }

    private sealed class Fire(Backoff owner, int generation)
    {
        public void Run()
        {
            lock (owner._gate)
            {
                if (generation != owner._generation)
                {
                    return; // reset or rescheduled meanwhile
                }

                owner._tries++;
                owner._timer?.Dispose();
                owner._timer = null;
            }

            owner.Run();
        }
    }

    private void Run() => callback();
}
