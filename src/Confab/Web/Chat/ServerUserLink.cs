using Confab.Channels;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Storage;

namespace Confab.Web.Chat;

/// <summary>
/// The sidebar on the server (Blazor Server): the user channel's topic (<see cref="UserChannel.Topic"/>) subscribed in
/// process, the same notices a socket on <c>user:&lt;id&gt;</c> gets, through a <see cref="PageInbox"/> like a room page's.
/// </summary>
public sealed class ServerUserLink(MessageAuthor me, RoomDirectory directory, ChatStore store, IPubSub pubSub) : IUserLink
{
    private const int UsersListed = 8;

    private Func<UserNotice, Task>? deliver;
    private PageInbox? inbox;
    private IDisposable? subscription;

    public Task<IReadOnlyList<RoomListing>> ListRoomsAsync() => directory.ListForAsync(me.Id);

    public Task<IReadOnlyList<MessageAuthor>> FindUsersAsync(string prefix) => store.FindUsersAsync(prefix.Trim(), UsersListed);

    public async Task<(string? Slug, string? Error)> OpenDirectAsync(string username)
    {
        if (username.Length > 100 || await store.FindUserAsync(username.Trim()) is not { } other)
        {
            return (null, $"There is no user '{username}'.");
        }

        if (other.Id == me.Id)
        {
            return (null, "A direct conversation is with someone else.");
        }

        var (room, _) = await directory.OpenDirectAsync(me, other);
        return (room.Slug, null);
    }

    public Task StartAsync(Func<UserNotice, Task> deliver)
    {
        this.deliver = deliver;
        inbox = new PageInbox(DrainAsync);
        subscription = pubSub.Subscribe(UserChannel.Topic(me.Id), inbox);
        return Task.CompletedTask;
    }

    private async Task DrainAsync(PageInbox from)
    {
        for (var taken = 0; taken < PageInbox.Capacity && from.TryTake(out var broadcast); taken++)
        {
            await Deliver(UserNotice.Read(broadcast.Event, broadcast.Payload.Utf8.Span));
        }

        if (from.TakeMissed())
        {
            await Deliver(UserNotice.Resynced);
        }
    }

    private Task Deliver(UserNotice notice) => deliver?.Invoke(notice) ?? Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        subscription?.Dispose();
        inbox?.Close();
        deliver = null;
        return ValueTask.CompletedTask;
    }
}

/// <summary>The server's sidebar links, over the circuit's services.</summary>
public sealed class ServerUserLinks(RoomDirectory directory, ChatStore store, IPubSub pubSub) : IUserLinks
{
    public IUserLink Open(MessageAuthor me, string? socketToken) => new ServerUserLink(me, directory, store, pubSub);
}
