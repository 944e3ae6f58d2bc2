using Confab.Messages;

namespace Confab.Web.Chat;

/// <summary>
/// The messages one viewer has of a room, by <c>seq</c>, kept current by the room's events: no duplicates whatever
/// order pages and broadcasts arrive in, older pages on request, missed events replayed from the store, and at most
/// <see cref="MaxLoaded"/> messages kept (the oldest drop off and stay a scroll away; <see cref="KeepNewest"/> keeps fewer).
/// </summary>
public sealed class RoomHistory(IRoomHistorySource source)
{
    public const int PageSize = 50;
    public const int MaxLoaded = 2000;

    // By seq: new messages arrive at the end and the window drops from the front.
    private readonly SortedList<long, Message> messages = [];
    private readonly Dictionary<long, string> names = [];

    private long lastEventSeq;

    public IList<Message> Messages => messages.Values;

    public int Count => messages.Count;

    /// <summary>The newest page has been read (until then the page shows no verdict such as "no messages yet").</summary>
    public bool Loaded { get; private set; }

    /// <summary>Older messages exist beyond the first one held.</summary>
    public bool HasOlder { get; private set; }

    /// <summary>The newest room event applied: everything up to it is reflected here.</summary>
    public long LastEventSeq => lastEventSeq;

    public async Task LoadLatestAsync() => Load(await source.ReadLatestAsync(PageSize));

    /// <summary>Starts from messages read elsewhere (the page as the server prerendered it).</summary>
    public void Load(LatestMessages latest)
    {
        Add(latest.Messages.Messages);
        HasOlder = latest.Messages.HasMore;
        lastEventSeq = Math.Max(lastEventSeq, latest.LastSeq);
        Loaded = true;
    }

    /// <summary>What is held, to start another page from (<see cref="Load"/>).</summary>
    public LatestMessages Snapshot() => new(new MessagePage([.. messages.Values], HasOlder), lastEventSeq);

    /// <summary>The page before the oldest held; false when there was nothing older.</summary>
    public async Task<bool> LoadOlderAsync()
    {
        if (!HasOlder || messages.Count == 0)
        {
            return false;
        }

        var page = await source.ListBeforeAsync(messages.Keys[0], PageSize);
        Add(page.Messages);
        HasOlder = page.HasMore;
        return true;
    }

    /// <summary>
    /// Loads older pages until the message posted at <paramref name="seq"/> is held. False when it is out of reach: not a
    /// message of the room, or older than <see cref="MaxLoaded"/> messages back.
    /// </summary>
    public async Task<bool> LoadThroughAsync(long seq)
    {
        while (!messages.ContainsKey(seq))
        {
            if (messages.Count == 0 || seq > messages.Keys[0] || messages.Count + PageSize > MaxLoaded || !await LoadOlderAsync())
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Keeps the newest <paramref name="keep"/> messages only (the older are a scroll away again): a page left open all day
    /// at the newest holds a window, not the day.
    /// </summary>
    public void KeepNewest(int keep)
    {
        if (messages.Count > keep)
        {
            while (messages.Count > keep)
            {
                messages.RemoveAt(0);
            }

            HasOlder = true;
        }
    }

    /// <summary>The message posted at <paramref name="seq"/>, when held.</summary>
    public Message? Find(long seq) => messages.GetValueOrDefault(seq);

    /// <summary>The name of a user seen here (an author, someone replied to or reacting), or null.</summary>
    public string? NameOf(long userId) => names.GetValueOrDefault(userId);

    /// <summary>
    /// Applies a live event. False when it was applied (or was old); true when it skipped past events this viewer never
    /// got: nothing was applied, call <see cref="CatchUpAsync"/>, which replays them and it.
    /// </summary>
    public bool Apply(IRoomEvent roomEvent)
    {
        if (roomEvent.Seq <= lastEventSeq)
        {
            return false;
        }

        if (roomEvent.Seq > lastEventSeq + 1)
        {
            return true;
        }

        ApplyOne(roomEvent);
        return false;
    }

    /// <summary>Shows one's own message as soon as it is acknowledged, ahead of its broadcast (which then changes nothing).</summary>
    public void AddOwn(Message message)
    {
        if (!messages.ContainsKey(message.Seq))
        {
            Add([message]);
        }
    }

    /// <summary>Applies every event committed after the newest applied.</summary>
    public async Task CatchUpAsync()
    {
        while (true)
        {
            var page = await source.ListEventsAfterAsync(lastEventSeq, 100);
            foreach (var entry in page.Events)
            {
                ApplyOne(entry.Payload);
            }

            if (!page.HasMore || page.Events.Count == 0)
            {
                return;
            }
        }
    }

    private void ApplyOne(IRoomEvent roomEvent)
    {
        switch (roomEvent)
        {
            case Message message:
                Add([message]);
                break;
            case MessageUpdated updated:
                Replace(updated.Message.Id, _ => updated.Message);
                break;
            case MessageDeleted deleted:
                Replace(deleted.MessageId, m => m with { Content = "", Deleted = true, Reactions = [] });
                break;
            case ReactionChanged reaction:
                names[reaction.User.Id] = reaction.User.Username;
                Replace(reaction.MessageId, m => m with { Reactions = WithReaction(m.Reactions, reaction) });
                break;
        }

        lastEventSeq = Math.Max(lastEventSeq, roomEvent.Seq);
    }

    /// <summary>The reactions with one user's reaction added or removed; an emoji no one is left on goes.</summary>
    private static List<ReactionSummary> WithReaction(IReadOnlyList<ReactionSummary> reactions, ReactionChanged change)
    {
        var result = new List<ReactionSummary>(reactions.Count + 1);
        var found = false;
        foreach (var reaction in reactions)
        {
            if (reaction.Emoji != change.Emoji)
            {
                result.Add(reaction);
                continue;
            }

            found = true;
            List<long> users = [.. reaction.UserIds.Where(id => id != change.User.Id)];
            if (change.Added)
            {
                users.Add(change.User.Id);
            }

            if (users.Count > 0)
            {
                result.Add(new ReactionSummary(reaction.Emoji, users.Count, users));
            }
        }

        if (!found && change.Added)
        {
            result.Add(new ReactionSummary(change.Emoji, 1, [change.User.Id]));
        }

        return result;
    }

    private void Replace(long messageId, Func<Message, Message> change)
    {
        // Changes are rare and a page holds a window: a scan costs less than an index kept on every page.
        var values = messages.Values;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i].Id == messageId)
            {
                messages.SetValueAtIndex(i, SharedMessages.Intern(change(values[i])));
                return;
            }
        }
    }

    private void Add(IEnumerable<Message> incoming)
    {
        foreach (var read in incoming)
        {
            // A message read again (a page, a replay) is its newer state.
            var message = SharedMessages.Intern(read);
            messages[message.Seq] = message;
            names[message.User.Id] = message.User.Username;
            if (message.ReplyTo is { } original)
            {
                names[original.User.Id] = original.User.Username;
            }
        }

        KeepNewest(MaxLoaded);
    }
}
