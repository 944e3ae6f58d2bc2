using System.Threading.Channels;
using Confab.Rooms;
using Confab.Storage;
using Confab.Telemetry;
using Microsoft.Extensions.Options;

namespace Confab.Messages;

/// <summary>
/// The one way room changes get stored: messages posted, edited and deleted, reactions added and removed. A single
/// writer takes everything queued, commits it in one transaction (group commit) through <see cref="ChatStore.Commit"/>,
/// gives each event its room's next <c>seq</c> at commit, and only then completes each change: acked means committed.
/// </summary>
/// <remarks>
/// A <c>client_id</c> makes a post idempotent: a retry with a key the sender already used stores nothing and
/// returns the original message. When a batch fails, its changes are retried one by one, so one bad change
/// (say, for a room deleted meanwhile) fails alone.
/// </remarks>
public sealed partial class MessageLog : IHostedService, IAsyncDisposable
{
    private readonly ChatStore store;
    private readonly ConfabMetrics metrics;
    private readonly TimeProvider time;
    private readonly ILogger<MessageLog> logger;
    private readonly int maxBatchSize;
    private readonly Channel<PendingChange> queue;
    private Task? writer;

    public MessageLog(ChatStore store, TimeProvider time, IOptions<MessageLogOptions> options, ConfabMetrics metrics, ILogger<MessageLog> logger)
    {
        this.store = store;
        this.metrics = metrics;
        this.time = time;
        this.logger = logger;
        maxBatchSize = options.Value.MaxBatchSize;
        queue = Channel.CreateBounded<PendingChange>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>
    /// Runs on the writer after each commit, with the events it stored, in commit order (so in <c>seq</c> order per
    /// room), once their senders' completions are queued. Handlers must be quick and must not throw: they publish, nothing more.
    /// </summary>
    public event Action<IReadOnlyList<CommittedEvent>>? Committed;

    /// <summary>
    /// Like <see cref="Committed"/>, but before the senders' completions: for in-memory state that must be current by the
    /// time a sender learns its change committed (<see cref="Rooms.RoomMembers"/>). Handlers must be quick and must not throw.
    /// </summary>
    public event Action<IReadOnlyList<CommittedEvent>>? Stored;

    /// <summary>
    /// Queues a message and completes once it is committed (or was already, for a repeated <paramref name="clientId"/>).
    /// <paramref name="receivedAt"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp, default now) starts its latency clock.
    /// </summary>
    public async ValueTask<AppendResult> AppendAsync(
        Room room, MessageAuthor author, string content, string? clientId, long receivedAt = 0, ReplyPreview? replyTo = null,
        IReadOnlyList<long>? mentions = null, CancellationToken cancellationToken = default)
    {
        var post = new PostMessage(room, author, content, clientId, replyTo) { Mentions = mentions ?? [] };
        var committed = Enqueue(post, receivedAt, out var pending) ? pending.Completion.Task : await EnqueueAsync(pending, cancellationToken);
        if (await committed.WaitAsync(cancellationToken) is { Payload: Message message })
        {
            return new AppendResult(message, Duplicate: false);
        }

        // A repeated client_id: the original was committed earlier (or earlier in the same batch).
        return await store.GetMessageByClientIdAsync(author.Id, clientId!, cancellationToken) is { } original
            ? new AppendResult(original, Duplicate: true)
            : throw new StorageException("The message was neither stored nor found.", StorageErrorKind.Unavailable);
    }

    /// <summary>
    /// Queues a change and completes once its transaction committed: with the event it made, or null when it no longer
    /// applied (a message gone, deleted or not the actor's; a reaction already there or not there; a repeated client_id).
    /// </summary>
    public async ValueTask<CommittedChange?> CommitAsync(RoomChange change, long receivedAt = 0, CancellationToken cancellationToken = default)
    {
        var committed = Enqueue(change, receivedAt, out var pending) ? pending.Completion.Task : await EnqueueAsync(pending, cancellationToken);
        return await committed.WaitAsync(cancellationToken);
    }

    // Queued at once when there is room (the common case, with no await of its own); else waits for room.
    private bool Enqueue(RoomChange change, long receivedAt, out PendingChange pending)
    {
        pending = new PendingChange(change, receivedAt == 0 ? System.Diagnostics.Stopwatch.GetTimestamp() : receivedAt);
        return queue.Writer.TryWrite(pending);
    }

    private async Task<Task<CommittedChange?>> EnqueueAsync(PendingChange pending, CancellationToken cancellationToken)
    {
        try
        {
            await queue.Writer.WriteAsync(pending, cancellationToken);
            return pending.Completion.Task;
        }
        catch (ChannelClosedException)
        {
            throw new StorageException("The message log is shut down.", StorageErrorKind.Unavailable);
        }
    }
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (writer is null)
        {
            // Its own thread, at a higher priority where the OS allows it: on the thread pool each batch waited behind the
            // sockets' work, and every acknowledgement with it. 25,000 messages/s over sockets (bench/RESULTS.md, D): reply
            // p99 44-93 ms on the pool, 46 ms on its own thread, 14-17 ms on its own thread at nice -5.
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            writer = stopped.Task;
            new Thread(() =>
            {
                WriterPriority.TryRaise();
                try
                {
                    Write();
                    stopped.SetResult();
                }
                catch (Exception e)
                {
                    // Never on its own (a failed batch fails its senders), but a thread must not take the process down
                    // with it, and StopAsync must not wait for ever.
                    stopped.SetException(e);
                }
            })
            { IsBackground = true, Name = "MessageLog writer" }.Start();
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops taking messages and commits what is queued.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        if (writer is not null)
        {
            await writer.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    // Blocks its thread while it waits and commits: on SQLite and PostgreSQL a commit runs on it, synchronously, and so
    // does what follows (the replies' completions, the publish); on D1 the thread waits for the request.
    private void Write()
    {
        var batch = new List<PendingChange>(maxBatchSize);
        while (BlockingWait.Result(queue.Reader.WaitToReadAsync()))
        {
            // Up to maxBatchSize statements (a post is one; an edit, four): D1 runs at most 1,000 per batch.
            var statements = 0;
            while (queue.Reader.TryPeek(out var next) && (batch.Count == 0 || statements + RoomChangeBatch.StatementsOf(next.Change) <= maxBatchSize)
                && queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
                statements += RoomChangeBatch.StatementsOf(pending.Change);
            }

            try
            {
                Commit(batch);
            }
            catch (Exception e)
            {
                // Nothing of this batch was acknowledged: every sender gets the failure.
                LogBatchFailed(logger, e, batch.Count);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(e);
                }
            }

            batch.Clear();
        }
    }

    private void Commit(List<PendingChange> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        CommittedChange?[] outcomes;
        try
        {
            var changes = new RoomChange[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                changes[i] = batch[i].Change;
            }

            // One timestamp per batch: every event of a commit is stored at the same instant.
            outcomes = store.Commit(changes, time.GetUtcNow());
            metrics.BatchCommitted(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (StorageException e) when (batch.Count > 1 && e.Kind != StorageErrorKind.Unavailable)
        {
            // One bad change must not sink the others: commit each on its own.
            LogBatchSplit(logger, e, batch.Count);
            foreach (var pending in batch)
            {
                try
                {
                    Commit([pending]);
                }
                catch (StorageException single)
                {
                    pending.Completion.TrySetException(single);
                }
            }

            return;
        }

        var committed = new List<CommittedEvent>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is { } outcome)
            {
                var pending = batch[i];
                committed.Add(new CommittedEvent(pending.Change.Room, outcome.Event, outcome.Payload, pending.ReceivedAt));
                metrics.MessageReached(ConfabMetricsStages.Committed, pending.ReceivedAt);
            }
        }

        // State a sender must find current once acked (a room's members) first; then the senders: their replies go out
        // on the thread pool while this thread publishes. Both follow the commit; neither waits for the other (a client
        // sees its reply and the broadcast in either order).
        if (committed.Count > 0)
        {
            Stored?.Invoke(committed);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(outcomes[i]);
        }

        if (committed.Count > 0)
        {
            // Everything the batch makes (room events, the members' counts) reaches each socket as one write.
            using (Channels.BroadcastBatch.Begin())
            {
                Committed?.Invoke(committed);
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Committing a batch of {Count} messages failed; none was acknowledged.")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "A batch of {Count} messages was refused; committing them one by one.")]
    private static partial void LogBatchSplit(ILogger logger, Exception exception, int count);

    private sealed class PendingChange(RoomChange change, long receivedAt)
    {
        public RoomChange Change => change;

        public long ReceivedAt => receivedAt;

        public TaskCompletionSource<CommittedChange?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>An event just committed, with its room (for the topic it is broadcast on) and when its change was received.</summary>
public sealed record CommittedEvent(Room Room, string Event, IRoomEvent Payload, long ReceivedAt);

/// <summary>A committed message; <see cref="Duplicate"/> when it was stored by an earlier send with the same client_id.</summary>
public sealed record AppendResult(Message Message, bool Duplicate);
