using System.Collections.Concurrent;

namespace Confab.Channels.Tests.Infrastructure;

/// <summary>What the test channels saw, and gates that hold their "slow" handlers until a test releases them.</summary>
public sealed class Probe : IDisposable
{
    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly SemaphoreSlim _changed = new(0);
    private int _inFlight;
    private int _maxInFlight;

    public SocketConnectContext? LastConnect { get; set; }

    /// <summary>The connection ids <see cref="PhoenixSocket.Disconnected"/> was called with, in order.</summary>
    public ConcurrentQueue<string> Disconnects { get; } = new();

    public IReadOnlyCollection<string> Events => _events;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public void Record(string @event)
    {
        _events.Enqueue(@event);
        _changed.Release();
    }

    /// <summary>Waits until an event equal to <paramref name="expected"/> was recorded.</summary>
    public async Task WaitForAsync(string expected, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (!_events.Contains(expected))
        {
            try
            {
                await _changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{expected}' was not recorded; recorded: {string.Join(", ", _events)}");
            }
        }
    }

    public Task Gate(string id) => _gates.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Open(string id) => _gates.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public void EnterSlow()
    {
        int now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
    }

    public void ExitSlow() => Interlocked.Decrement(ref _inFlight);

    public void Dispose() => _changed.Dispose();
}
