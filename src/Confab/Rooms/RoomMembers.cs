using System.Collections.Concurrent;
using Confab.Messages;
using Confab.Storage;

namespace Confab.Rooms;

/// <summary>A member of a room: who, in what <see cref="RoomRole"/>, and until when their posts are refused (a mute).</summary>
public sealed record RoomMember(MessageAuthor User, string Role, DateTime? MutedUntil);

/// <summary>
/// Who belongs to each room, in memory, so that every join and every push can check membership without a database
/// round trip. A room's roster is read from the store the first time it is needed, then kept current: member events
/// are applied as the <see cref="MessageLog"/> stores them (in commit order, before their senders hear back and before
/// they are broadcast), and bans and mutes as they are stored.
/// </summary>
/// <remarks>
/// A roster read while a change commits could miss it: every change bumps the room's version, and a read installs its
/// roster only if the version did not move meanwhile (else it reads again). Applying a change is idempotent (set a
/// role, remove a member), so a change that a read already saw may be applied once more.
/// </remarks>
public sealed class RoomMembers(ChatStore store, MessageLog log, Realtime.RoomEventStream stream, Cluster.ClusterNotices cluster) : IHostedService
{
    private readonly ConcurrentDictionary<long, Slot> slots = new();

    /// <summary>The roster of a room: its members, who is banned from it, and its slow mode.</summary>
    public sealed class Roster
    {
        private readonly ConcurrentDictionary<long, RoomMember> members;
        private readonly ConcurrentDictionary<long, bool> banned;
        private volatile int slowModeSeconds;

        internal Roster(IEnumerable<RoomMember> members, IEnumerable<long> banned, int slowModeSeconds)
        {
            this.slowModeSeconds = slowModeSeconds;
            this.members = new ConcurrentDictionary<long, RoomMember>(members.Select(m => KeyValuePair.Create(m.User.Id, m)));
            this.banned = new ConcurrentDictionary<long, bool>(banned.Select(id => KeyValuePair.Create(id, true)));
        }

        public RoomMember? Find(long userId) => members.GetValueOrDefault(userId);

        public string? RoleOf(long userId) => Find(userId)?.Role;

        public bool IsBanned(long userId) => banned.ContainsKey(userId);

        /// <summary>The ids of those banned from the room.</summary>
        public IReadOnlyList<long> Banned => [.. banned.Keys];

        /// <summary>Each member may post once per this many seconds (owners and admins are exempt); 0: no slow mode.</summary>
        public int SlowModeSeconds
        {
            get => slowModeSeconds;
            internal set => slowModeSeconds = value;
        }

        /// <summary>Owners first, then admins, then members, each by username.</summary>
        public IReadOnlyList<RoomMember> List() =>
            [.. members.Values.OrderByDescending(m => RoomRole.Rank(m.Role)).ThenBy(m => m.User.Username, StringComparer.OrdinalIgnoreCase)];

        internal void Set(RoomMember member) => members[member.User.Id] = member;

        internal void Remove(long userId) => members.TryRemove(userId, out _);

        internal void Ban(long userId, bool ban)
        {
            if (ban)
            {
                banned[userId] = true;
            }
            else
            {
                banned.TryRemove(userId, out _);
            }
        }
    }

    private sealed class Slot
    {
        public readonly Lock Gate = new();
        public long Version;
        public Roster? Roster;
    }

    /// <summary>The room's roster, read from the store on first use.</summary>
    public async ValueTask<Roster> GetAsync(long roomId, CancellationToken cancellationToken = default)
    {
        var slot = slots.GetOrAdd(roomId, static _ => new Slot());
        if (Volatile.Read(ref slot.Roster) is { } loaded)
        {
            return loaded;
        }

        while (true)
        {
            long version;
            lock (slot.Gate)
            {
                if (slot.Roster is { } ready)
                {
                    return ready;
                }

                version = slot.Version;
            }

            var (members, banned, slowMode) = await store.ReadRosterAsync(roomId, cancellationToken);
            lock (slot.Gate)
            {
                if (slot.Roster is { } ready)
                {
                    return ready;
                }

                if (slot.Version == version)
                {
                    return slot.Roster = new Roster(members, banned, slowMode);
                }
            }
        }
    }

    /// <summary>The user's membership of the room; null when they are not a member.</summary>
    public async ValueTask<RoomMember?> FindAsync(long roomId, long userId, CancellationToken cancellationToken = default) =>
        (await GetAsync(roomId, cancellationToken)).Find(userId);

    /// <summary>
    /// Forgets the room's roster: another node changed it, and the store is the one that knows how. It is read again on
    /// next use (a read under way is discarded).
    /// </summary>
    public void Invalidate(long roomId)
    {
        if (slots.TryGetValue(roomId, out var slot))
        {
            lock (slot.Gate)
            {
                slot.Version++;
                slot.Roster = null;
            }
        }
    }

    /// <summary>
    /// A mute or a ban stored (no room event): applied to the roster, if it is in memory (else it is read with the
    /// change), and the other nodes read theirs again.
    /// </summary>
    internal void ApplyStored(long roomId, Action<Roster> change)
    {
        Apply(roomId, change);
        cluster.PublishRosterChanged(roomId);
    }

    // Every node's rosters may be stale (this node's Redis subscription was down): all are read again on next use.
    private void InvalidateAll()
    {
        foreach (var roomId in slots.Keys)
        {
            Invalidate(roomId);
        }
    }

    private void Apply(long roomId, Action<Roster> change)
    {
        var slot = slots.GetOrAdd(roomId, static _ => new Slot());
        lock (slot.Gate)
        {
            slot.Version++;
            if (slot.Roster is { } roster)
            {
                change(roster);
            }
        }
    }

    // Member and room events, in commit order, before their senders hear back and before they are broadcast.
    private void OnStored(IReadOnlyList<CommittedEvent> committed)
    {
        foreach (var (room, name, payload, _) in committed)
        {
            switch (payload)
            {
                case MemberChanged { Role: null } removed when name == RoomEventNames.MemberRemoved:
                    Apply(room.Id, roster => roster.Remove(removed.User.Id));
                    break;
                case MemberChanged { Role: { } role } member:
                    Apply(room.Id, roster => roster.Set(new RoomMember(member.User, role, roster.Find(member.User.Id)?.MutedUntil)));
                    break;
                case RoomUpdated updated:
                    Apply(room.Id, roster => roster.SlowModeSeconds = updated.SlowModeSeconds);
                    break;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.Stored += OnStored;
        stream.RosterChanged += Invalidate;
        cluster.RosterChanged += Invalidate;
        cluster.Missed += InvalidateAll;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        log.Stored -= OnStored;
        stream.RosterChanged -= Invalidate;
        cluster.RosterChanged -= Invalidate;
        cluster.Missed -= InvalidateAll;
        return Task.CompletedTask;
    }
}
