using Confab.Messages;
using Confab.Storage;

namespace Confab.Web.Chat;

/// <summary>
/// The messages one viewer has of a room, by <c>seq</c>: no duplicates whatever order pages and broadcasts
/// arrive in, older pages on request, gaps filled from the store, and at most <see cref="MaxLoaded"/> kept
/// (the oldest drop off and stay a scroll away).
/// </summary>
public sealed class RoomHistory(ChatStore store, long roomId)
{
    public const int PageSize = 50;
    public const int MaxLoaded = 2000;

    private readonly SortedDictionary<long, Message> messages = [];

    public IReadOnlyCollection<Message> Messages => messages.Values;

    public int Count => messages.Count;

    /// <summary>Older messages exist beyond the first one held.</summary>
    public bool HasOlder { get; private set; }

    private long NewestSeq => messages.Count > 0 ? messages.Keys.Last() : 0;

    public async Task LoadLatestAsync()
    {
        var page = await store.ListMessagesBeforeAsync(roomId, beforeSeq: null, PageSize);
        Add(page.Messages);
        HasOlder = page.HasMore;
    }

    /// <summary>The page before the oldest held; false when there was nothing older.</summary>
    public async Task<bool> LoadOlderAsync()
    {
        if (!HasOlder || messages.Count == 0)
        {
            return false;
        }

        var page = await store.ListMessagesBeforeAsync(roomId, messages.Keys.First(), PageSize);
        Add(page.Messages);
        HasOlder = page.HasMore;
        return true;
    }

    /// <summary>Adds a live message; true when it skipped past messages this viewer never got (call <see cref="CatchUpAsync"/>).</summary>
    public bool AddLive(Message message)
    {
        var gap = messages.Count > 0 && message.Seq > NewestSeq + 1;
        Add([message]);
        return gap;
    }

    /// <summary>Everything committed after the newest held; true when anything came.</summary>
    public async Task<bool> CatchUpAsync()
    {
        var any = false;
        while (true)
        {
            var page = await store.ListMessagesAfterAsync(roomId, NewestSeq, beforeSeq: null, 100);
            Add(page.Messages);
            any |= page.Messages.Count > 0;
            if (!page.HasMore || page.Messages.Count == 0)
            {
                return any;
            }
        }
    }

    private void Add(IEnumerable<Message> incoming)
    {
        foreach (var message in incoming)
        {
            messages.TryAdd(message.Seq, message);
        }

        while (messages.Count > MaxLoaded)
        {
            messages.Remove(messages.Keys.First());
            HasOlder = true;
        }
    }
}
