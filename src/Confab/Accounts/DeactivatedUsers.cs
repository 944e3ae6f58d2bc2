using System.Collections.Concurrent;
using Confab.Channels;
using Confab.Storage;

namespace Confab.Accounts;

/// <summary>
/// The users a server admin deactivated (<c>POST /api/users/{username}/deactivate</c>): their tokens no longer validate
/// (<see cref="AuthTokens"/>), their cookie sessions are rejected, they cannot log in, and their open sockets close at
/// once. Kept in memory, read from the store at start-up.
/// </summary>
public sealed partial class DeactivatedUsers(
    ChatStore store, IPubSub pubSub, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<DeactivatedUsers> logger) : IHostedService
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
        await pubSub.BroadcastAsync(new Broadcast(Realtime.UserChannel.Topic(userId), Event, JsonPayload.Empty), cancellationToken);
        await pubSub.BroadcastAsync(new Broadcast(Realtime.UserSocket.SocketId(userId), Realtime.UserSocket.DisconnectEvent, JsonPayload.Empty), cancellationToken);
    }

    // Read in the background, so that the server starts (live, not ready) while its database is away; until then a
    // deactivated user's token still validates, though nothing it asks for can be done without the database.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = LoadAsync(lifetime.ApplicationStopping);
        return Task.CompletedTask;
    }

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

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Reading the deactivated users failed (attempt {Attempt}); trying again.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, int attempt);
}
