using System.Threading.Tasks.Sources;

namespace Confab.Channels.Internal;

/// <summary>
/// Wakes one waiter (a socket's writer) when frames may be available; many setters, one waiter, at most one pending
/// signal, so a burst of frames costs one wake-up. A few fields instead of a channel per socket, and waking allocates
/// nothing: the signal queues itself to the thread pool, so the waiter never runs on the setter's thread.
/// </summary>
internal sealed class WriterSignal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;

    private static readonly Action<object?> s_completed = static _ => { };
    private static readonly ContextCallback s_invoke = static signal => ((WriterSignal)signal!).Invoke();

    private int _state;
    private short _version;
    private bool _done;
    private Action<object?>? _continuation;
    private Action<object?>? _toRun;
    private object? _continuationState;
    private ExecutionContext? _context;

    // 1 while a BroadcastBatch on some thread holds this signal's wake-up.
    private int _held;

    /// <summary>Wakes the waiter, or leaves a signal for its next wait; inside a <see cref="BroadcastBatch"/>, at its end.</summary>
    public void Set()
    {
        if (!BroadcastBatch.TryHold(this))
        {
            SetNow();
        }
    }

    /// <summary>Marks the signal held by a batch; false when one holds it already.</summary>
    internal bool Hold() => Interlocked.Exchange(ref _held, 1) == 0;

    /// <summary>The batch that held the signal ends: the waiter wakes.</summary>
    internal void Release()
    {
        Volatile.Write(ref _held, 0);
        SetNow();
    }

    private void SetNow()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    return;
                case Idle when Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting:
                    Volatile.Write(ref _done, true);
                    Schedule(Interlocked.Exchange(ref _continuation, s_completed));
                    return;
            }
        }
    }

    /// <summary>Completes at once if a signal is pending (consuming it), else when <see cref="Set"/> is next called. One waiter.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return ValueTask.CompletedTask;
        }

        _version++;
        _done = false;
        _continuation = null;
        _continuationState = null;
        _context = null;
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, _version);
        }

        Volatile.Write(ref _state, Idle); // a Set came between the two checks: consume it
        return ValueTask.CompletedTask;
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token)
    {
        Validate(token);
        return Volatile.Read(ref _done) ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;
    }

    void IValueTaskSource.GetResult(short token)
    {
        Validate(token);
        if (!Volatile.Read(ref _done))
        {
            throw new InvalidOperationException("The writer signal was read before it was set.");
        }
    }

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        Validate(token);
        _continuationState = state;
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            _context = ExecutionContext.Capture();
        }

        if (ReferenceEquals(Interlocked.CompareExchange(ref _continuation, continuation, null), s_completed))
        {
            Schedule(continuation); // set before the continuation was registered
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (_context is { } context)
        {
            ExecutionContext.Run(context, s_invoke, this);
        }
        else
        {
            Invoke();
        }
    }

    private void Schedule(Action<object?>? continuation)
    {
        if (continuation is null || ReferenceEquals(continuation, s_completed))
        {
            return;
        }

        _toRun = continuation;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private void Invoke()
    {
        Action<object?> continuation = _toRun!;
        _toRun = null;
        continuation(_continuationState);
    }

    private void Validate(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("The writer signal was awaited twice.");
        }
    }
}
