namespace Confab.Channels.Client.Internal;

/// <summary>
/// A join, push or leave waiting for its reply: its payload is encoded once, its ref is made when it is sent, and its
/// timeout runs from the moment it is pushed (also while it waits in a buffer), as phoenix.js's <c>Push</c>.
/// </summary>
internal sealed class OutgoingPush(string @event, byte[] payload)
{
    private readonly TaskCompletionSource<PhoenixReply> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _timer;

    public string Event { get; } = @event;

    public byte[] Payload { get; } = payload;

    /// <summary>The ref it was last sent with, or null while unsent.</summary>
    public string? Ref { get; set; }

    public Task<PhoenixReply> Reply => _reply.Task;

    public bool IsCompleted => _reply.Task.IsCompleted;

    public void StartTimeout(TimeProvider time, TimeSpan timeout, Action<OutgoingPush> onTimeout) =>
        _timer = time.CreateTimer(static state => ((Action)state!)(), (Action)(() => onTimeout(this)), timeout, Timeout.InfiniteTimeSpan);

    /// <summary>Completes with <paramref name="reply"/> unless it completed already; true when this call did.</summary>
    public bool Complete(PhoenixReply reply)
    {
        _timer?.Dispose();
        return _reply.TrySetResult(reply);
    }
}
