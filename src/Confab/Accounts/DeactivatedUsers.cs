using System.Collections.Concurrent;
using Confab.Channels;
using Confab.Storage;

namespace Confab.Accounts;

/// <summary>
/// The users a server admin deactivated (<c>POST /api/users/{username}/deactivate</c>): their tokens no longer validate
/// (<see cref="AuthTokens"/>), their cookie sessions are rejected, they cannot log in, and their open sockets close at
/// once, on every node. Kept in memory, read from the store at start-up (and again when this node may have missed
/// another's notice).
/// </summary>
public sealed partial class DeactivatedUsers(
    ChatStore store, IPubSub pubSub, Cluster.ClusterNotices cluster, TimeProvider time, IHostApplicationLifetime lifetime,
    ILogger<DeactivatedUsers> logger) : IHostedService
{
    /// <summary>Pushed on the user's channel (and to their open room pages) when their account is deactivated.</summary>
    public const string Event = "account_deactivated";

    private readonly ConcurrentDictionary<long, bool> ids = new();

    public bool Contains(long userId) => ids.ContainsKey(userId);

    /// <summary>
    /// Deactivates <paramref name="userId"/> and ends their sessions: their devices hear why on the user channel, then
    /// their sockets close (Phoenix's <c>disconnect</c>) and their open room pages end.
    /// </summary>
    public async Task DeactivateAsync(long userId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await store.DeactivateUserAsync(userId, now, cancellationToken);
        ids[userId] = true;
        cluster.PublishUserDeactivated(userId);
        await pubSub.BroadcastAsync(new Broadcast(Realtime.UserChannel.Topic(userId), Event, JsonPayload.Empty), cancellationToken);
        await pubSub.BroadcastAsync(new Broadcast(Realtime.UserSocket.SocketId(userId), Realtime.UserSocket.DisconnectEvent, JsonPayload.Empty), cancellationToken);
    }

    // Read in the background, so that the server starts (live, not ready) while its database is away; until then a
    // deactivated user's token still validates, though nothing it asks for can be done without the database.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cluster.UserDeactivated += OnDeactivated;
        cluster.Missed += OnMissed;
        _ = LoadAsync(lifetime.ApplicationStopping);
        return Task.CompletedTask;
    }

    private void OnDeactivated(long userId) => ids[userId] = true;

    private void OnMissed() => _ = LoadAsync(lifetime.ApplicationStopping);

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                foreach (var id in await store.ListDeactivatedUsersAsync(cancellationToken))
                {
                    ids[id] = true;
                }

                return;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return; // stopping
            }
            catch (StorageException e)
            {
                LogLoadFailed(logger, e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt)), time, cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        cluster.UserDeactivated -= OnDeactivated;
        cluster.Missed -= OnMissed;
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Reading the deactivated users failed (attempt {Attempt}); trying again.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, int attempt);
}
