using Confab.Accounts;
using Confab.Messages;
using Confab.Storage;

namespace Confab.Rooms;

/// <summary>
/// Who belongs to a room and what they may do there, the same for every transport: joining, adding and removing
/// members, roles, mutes, bans and slow mode. Membership changes commit through <see cref="MessageLog"/> as room events
/// (<c>member_added</c>, <c>member_updated</c>, <c>member_removed</c>, <c>room_updated</c>) with the room's next seq.
/// </summary>
/// <remarks>
/// Who may act on whom: owners and admins moderate; an owner also sets roles. Each acts only on members ranked below
/// them (an admin on members, an owner on admins and members). Server admins (<see cref="ServerAdmins"/>) do all of it
/// in any public or private room. Direct rooms have their two people and nobody else: no one is added, removed or banned.
/// </remarks>
public sealed class MemberActions(
    RoomMembers members, MessageLog log, ChatStore store, ServerAdmins admins, TimeProvider time, Cluster.ClusterLimits limits)
{
    // When each member last posted in a room in slow mode.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long Room, long User), long> lastPosts = new();

    public const string RoomNotFoundReason = "room not found";
    public const string DirectRoomReason = "a direct conversation has its two people and nobody else";
    public const string NotModeratorReason = "only the room's owners and admins may do that";
    public const string NotOwnerReason = "only the room's owners may give roles";
    public const string OutrankedReason = "not to someone of your own role or above";
    public const string BannedReason = "banned from this room";
    public const string InvalidRoleReason = "role must be owner, admin or member";
    public const int MaxMuteSeconds = 30 * 24 * 3600;
    public const int MaxSlowModeSeconds = 3600;

    /// <summary>
    /// Makes sure <paramref name="user"/> belongs to the room: a member already, or joining a public room they are not
    /// banned from (<c>member_added</c>). Refused, as if the room did not exist, otherwise.
    /// </summary>
    public async ValueTask<ChangeResult> JoinAsync(Room room, MessageAuthor user, CancellationToken cancellationToken = default)
    {
        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (roster.Find(user.Id) is not null)
        {
            return ChangeResult.Unchanged();
        }

        if (!room.IsPublic || roster.IsBanned(user.Id))
        {
            return ChangeResult.Refused(ChangeOutcome.NotFound, RoomNotFoundReason);
        }

        var committed = await log.CommitAsync(new AddMember(room, user, user, RoomRole.Member), cancellationToken: cancellationToken);
        if (committed is not null)
        {
            return ChangeResult.Done(committed.Payload.Seq, null, duplicate: false);
        }

        if (roster.Find(user.Id) is null)
        {
            // The store has them and this roster does not: another node added them, and this one has yet to hear.
            members.Invalidate(room.Id);
        }

        return await members.FindAsync(room.Id, user.Id, cancellationToken) is not null
            ? ChangeResult.Unchanged()
            : ChangeResult.Refused(ChangeOutcome.NotFound, RoomNotFoundReason);
    }

    /// <summary>
    /// Whether <paramref name="user"/> may post <paramref name="content"/> now (a member, joining a public room if need
    /// be; not muted; not held back by slow mode), and whom it mentions (<see cref="Mentions"/>; <c>@room</c> counts
    /// from owners and admins only): one look at the room's roster per post.
    /// </summary>
    public async ValueTask<(ChangeResult? Refusal, IReadOnlyList<long> Mentions)> CheckPostAsync(
        Room room, MessageAuthor user, string content, CancellationToken cancellationToken = default)
    {
        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (roster.Find(user.Id) is null)
        {
            if (await JoinAsync(room, user, cancellationToken) is { Outcome: ChangeOutcome.NotFound } notMember)
            {
                return (notMember, []);
            }

            roster = await members.GetAsync(room.Id, cancellationToken); // read again if the join found it stale
        }

        if (roster.Find(user.Id) is not { } member)
        {
            return (ChangeResult.Refused(ChangeOutcome.NotFound, RoomNotFoundReason), []);
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (member.MutedUntil is { } until && until > now)
        {
            return (ChangeResult.Refused(ChangeOutcome.Forbidden, MutedReason(until)), []);
        }

        if (roster.SlowModeSeconds is > 0 and var slow && !RoomRole.Moderates(member.Role))
        {
            // One post per slow-mode period, counted by the cluster: the post now takes this one.
            var period = TimeSpan.FromSeconds(slow);
            var key = (room.Id, user.Id);
            var wait = await limits.TakeAsync(
                FormattableString.Invariant($"slow:{room.Id}:{user.Id}"), 1, period, () => TakeLocalSlot(key, period));
            if (wait is { } left)
            {
                return (ChangeResult.RateLimited(left, SlowModeReason(slow)), []);
            }
        }

        var mentions = content.Contains('@', StringComparison.Ordinal)
            ? Mentions.Find(content, roster, user.Id, RoomRole.Moderates(RoleFor(RankOf(room, roster, user))))
            : [];
        return (null, mentions);
    }

    public static string SlowModeReason(int seconds) => $"Slow mode: one message every {seconds} seconds.";

    // This node's own count of slow mode (the cluster's while Redis does not answer): when each member last posted.
    private TimeSpan? TakeLocalSlot((long Room, long User) key, TimeSpan period)
    {
        var at = time.GetTimestamp();
        while (true)
        {
            if (lastPosts.TryGetValue(key, out var last))
            {
                var since = time.GetElapsedTime(last, at);
                if (since < period)
                {
                    return period - since;
                }

                if (lastPosts.TryUpdate(key, at, last))
                {
                    return null;
                }
            }
            else if (lastPosts.TryAdd(key, at))
            {
                return null;
            }
        }
    }

    public static string MutedReason(DateTime until) =>
        $"you are muted in this room until {until.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Adds <paramref name="username"/> in <paramref name="role"/> (default member): moderators, or oneself to a public room.</summary>
    public async ValueTask<MemberResult> AddAsync(Room room, MessageAuthor actor, string? username, string? role, CancellationToken cancellationToken = default)
    {
        role ??= RoomRole.Member;
        if (!RoomRole.IsValid(role))
        {
            return MemberResult.Invalid("role", InvalidRoleReason);
        }

        if (room.IsDirect)
        {
            return MemberResult.Refused(ChangeOutcome.Refused, DirectRoomReason);
        }

        if (await FindUserAsync(username, cancellationToken) is not { } user)
        {
            return NoSuchUser(username);
        }

        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (roster.Find(user.Id) is { } existing)
        {
            return MemberResult.Unchanged(existing);
        }

        var rank = RankOf(room, roster, actor);
        if (user.Id == actor.Id && room.IsPublic && role == RoomRole.Member)
        {
            // Joining a public room oneself.
        }
        else if (!RoomRole.Moderates(RoleFor(rank)))
        {
            return MemberResult.Refused(ChangeOutcome.Forbidden, NotModeratorReason);
        }
        else if (role != RoomRole.Member && rank < RoomRole.Rank(RoomRole.Owner))
        {
            return MemberResult.Refused(ChangeOutcome.Forbidden, NotOwnerReason);
        }

        if (roster.IsBanned(user.Id))
        {
            return MemberResult.Refused(ChangeOutcome.Refused, $"{user.Username} is {BannedReason}");
        }

        await log.CommitAsync(new AddMember(room, actor, user, role), cancellationToken: cancellationToken);
        return roster.Find(user.Id) is { } added
            ? MemberResult.Done(added)
            : MemberResult.Refused(ChangeOutcome.Refused, $"{user.Username} is {BannedReason}");
    }

    /// <summary>Gives a member another role: owners (and server admins) only, and not to another owner.</summary>
    public async ValueTask<MemberResult> SetRoleAsync(Room room, MessageAuthor actor, string username, string? role, CancellationToken cancellationToken = default)
    {
        if (!RoomRole.IsValid(role))
        {
            return MemberResult.Invalid("role", InvalidRoleReason);
        }

        var (roster, target, refusal) = await TargetAsync(room, actor, username, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var rank = RankOf(room, roster, actor);
        if (rank < RoomRole.Rank(RoomRole.Owner))
        {
            return MemberResult.Refused(ChangeOutcome.Forbidden, NotOwnerReason);
        }

        if (target!.User.Id != actor.Id && RoomRole.Rank(target.Role) >= rank)
        {
            return MemberResult.Refused(ChangeOutcome.Forbidden, OutrankedReason);
        }

        if (target.Role == role)
        {
            return MemberResult.Unchanged(target);
        }

        await log.CommitAsync(new SetMemberRole(room, actor, target.User, role!), cancellationToken: cancellationToken);
        return roster.Find(target.User.Id) is { } now ? MemberResult.Done(now) : NotMember(username);
    }

    /// <summary>Removes a member: oneself (leaving), or someone ranked below a moderator. Their channels in the room close.</summary>
    public async ValueTask<MemberResult> RemoveAsync(Room room, MessageAuthor actor, string username, CancellationToken cancellationToken = default)
    {
        var (roster, target, refusal) = await TargetAsync(room, actor, username, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (target!.User.Id != actor.Id && Outranks(room, roster, actor, target.Role) is { } denied)
        {
            return denied;
        }

        await log.CommitAsync(new RemoveMember(room, actor, target.User, Ban: false), cancellationToken: cancellationToken);
        return MemberResult.Done(target);
    }

    /// <summary>Bans someone (a member or not): removed if a member, and kept from joining again, even a public room.</summary>
    public async ValueTask<MemberResult> BanAsync(Room room, MessageAuthor actor, string? username, CancellationToken cancellationToken = default)
    {
        if (room.IsDirect)
        {
            return MemberResult.Refused(ChangeOutcome.Refused, DirectRoomReason);
        }

        if (await FindUserAsync(username, cancellationToken) is not { } user)
        {
            return NoSuchUser(username);
        }

        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (user.Id == actor.Id)
        {
            return MemberResult.Refused(ChangeOutcome.Refused, "you cannot ban yourself");
        }

        if (Outranks(room, roster, actor, roster.RoleOf(user.Id)) is { } denied)
        {
            return denied;
        }

        var target = roster.Find(user.Id) ?? new RoomMember(user, RoomRole.Member, null);
        await log.CommitAsync(new RemoveMember(room, actor, user, Ban: true), cancellationToken: cancellationToken);
        members.ApplyStored(room.Id, r => r.Ban(user.Id, ban: true));
        return MemberResult.Done(target);
    }

    /// <summary>Lifts a ban (moderators); not found when there is none.</summary>
    public async ValueTask<MemberResult> UnbanAsync(Room room, MessageAuthor actor, string username, CancellationToken cancellationToken = default)
    {
        if (await FindUserAsync(username, cancellationToken) is not { } user)
        {
            return NoSuchUser(username);
        }

        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (!RoomRole.Moderates(RoleFor(RankOf(room, roster, actor))))
        {
            return MemberResult.Refused(ChangeOutcome.Forbidden, NotModeratorReason);
        }

        if (!await store.DeleteBanAsync(room.Id, user.Id, cancellationToken))
        {
            return MemberResult.Refused(ChangeOutcome.NotFound, $"{user.Username} is not banned from this room");
        }

        members.ApplyStored(room.Id, r => r.Ban(user.Id, ban: false));
        return MemberResult.Done(new RoomMember(user, RoomRole.Member, null));
    }

    /// <summary>Mutes a member for <paramref name="seconds"/> (1 to 30 days); 0 lifts the mute.</summary>
    public async ValueTask<MemberResult> MuteAsync(Room room, MessageAuthor actor, string? username, int? seconds, CancellationToken cancellationToken = default)
    {
        if (seconds is not (>= 0 and <= MaxMuteSeconds))
        {
            return MemberResult.Invalid("seconds", $"seconds must be between 0 and {MaxMuteSeconds}");
        }

        var (roster, target, refusal) = await TargetAsync(room, actor, username, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (Outranks(room, roster, actor, target!.Role) is { } denied)
        {
            return denied;
        }

        DateTime? until = seconds > 0 ? time.GetUtcNow().UtcDateTime.AddSeconds(seconds.Value) : null;
        if (!await store.SetMutedUntilAsync(room.Id, target.User.Id, until, cancellationToken))
        {
            return NotMember(target.User.Username);
        }

        var muted = target with { MutedUntil = until };
        members.ApplyStored(room.Id, r =>
        {
            if (r.Find(muted.User.Id) is { } current)
            {
                r.Set(current with { MutedUntil = until });
            }
        });
        return MemberResult.Done(muted);
    }

    /// <summary>Sets slow mode (moderators): each member may post once per <paramref name="seconds"/>; 0 turns it off.</summary>
    public async ValueTask<ChangeResult> SetSlowModeAsync(Room room, MessageAuthor actor, int? seconds, CancellationToken cancellationToken = default)
    {
        if (seconds is not (>= 0 and <= MaxSlowModeSeconds))
        {
            return ChangeResult.Invalid(new Dictionary<string, string[]> { ["slow_mode_seconds"] = [$"slow_mode_seconds must be between 0 and {MaxSlowModeSeconds}"] });
        }

        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (!RoomRole.Moderates(RoleFor(RankOf(room, roster, actor))))
        {
            return ChangeResult.Refused(ChangeOutcome.Forbidden, NotModeratorReason);
        }

        return await log.CommitAsync(new SetSlowMode(room, actor, seconds.Value), cancellationToken: cancellationToken) is { } committed
            ? ChangeResult.Done(committed.Payload.Seq, null, duplicate: false)
            : ChangeResult.Unchanged();
    }

    /// <summary>The actor's role in the room as a rank (<see cref="RoomRole.Rank"/>); server admins rank above owners except in direct rooms.</summary>
    public int RankOf(Room room, RoomMembers.Roster roster, MessageAuthor actor) =>
        !room.IsDirect && admins.Is(actor.Username) ? RoomRole.Rank(RoomRole.Owner) + 1 : RoomRole.Rank(roster.RoleOf(actor.Id));

    /// <summary>Whether the actor moderates the room (an owner, an admin, or a server admin).</summary>
    public async ValueTask<bool> ModeratesAsync(Room room, MessageAuthor actor, CancellationToken cancellationToken = default) =>
        RoomRole.Moderates(RoleFor(RankOf(room, await members.GetAsync(room.Id, cancellationToken), actor)));

    private static string? RoleFor(int rank) => rank >= RoomRole.Rank(RoomRole.Owner) ? RoomRole.Owner : rank == RoomRole.Rank(RoomRole.Admin) ? RoomRole.Admin : null;

    // A moderator acting on someone ranked below them.
    private MemberResult? Outranks(Room room, RoomMembers.Roster roster, MessageAuthor actor, string? targetRole)
    {
        if (room.IsDirect)
        {
            return MemberResult.Refused(ChangeOutcome.Refused, DirectRoomReason);
        }

        var rank = RankOf(room, roster, actor);
        return !RoomRole.Moderates(RoleFor(rank)) ? MemberResult.Refused(ChangeOutcome.Forbidden, NotModeratorReason)
            : RoomRole.Rank(targetRole) >= rank ? MemberResult.Refused(ChangeOutcome.Forbidden, OutrankedReason)
            : null;
    }

    private async ValueTask<(RoomMembers.Roster Roster, RoomMember? Target, MemberResult? Refusal)> TargetAsync(
        Room room, MessageAuthor actor, string? username, CancellationToken cancellationToken)
    {
        var roster = await members.GetAsync(room.Id, cancellationToken);
        if (room.IsDirect)
        {
            return (roster, null, MemberResult.Refused(ChangeOutcome.Refused, DirectRoomReason));
        }

        if (await FindUserAsync(username, cancellationToken) is not { } user)
        {
            return (roster, null, NoSuchUser(username));
        }

        return roster.Find(user.Id) is { } target ? (roster, target, null) : (roster, null, NotMember(user.Username));
    }

    private async ValueTask<MessageAuthor?> FindUserAsync(string? username, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(username) || username.Length > 100 ? null : await store.FindUserAsync(username.Trim(), cancellationToken);

    private static MemberResult NoSuchUser(string? username) => MemberResult.Refused(ChangeOutcome.NotFound, $"there is no user '{username}'");

    private static MemberResult NotMember(string username) => MemberResult.Refused(ChangeOutcome.NotFound, $"{username} is not a member of this room");
}

/// <summary>What became of a membership change: the member as they are now, or why not (<see cref="ChangeOutcome"/>).</summary>
public sealed record MemberResult(ChangeOutcome Outcome, RoomMember? Member, string? Reason, IReadOnlyDictionary<string, string[]>? Errors)
{
    public static MemberResult Done(RoomMember member) => new(ChangeOutcome.Done, member, null, null);

    public static MemberResult Unchanged(RoomMember member) => new(ChangeOutcome.Unchanged, member, null, null);

    public static MemberResult Refused(ChangeOutcome outcome, string reason) => new(outcome, null, reason, null);

    public static MemberResult Invalid(string field, string error) => new(ChangeOutcome.Invalid, null, null, new Dictionary<string, string[]> { [field] = [error] });
}
