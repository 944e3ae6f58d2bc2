using System.Text;
using Confab.Messages;
using Confab.Storage;
using Microsoft.Extensions.Caching.Memory;

namespace Confab.Rooms;

/// <summary>
/// Finding and creating rooms, and the one rule of who may see a room (<see cref="MaySee"/>). A room's slug comes from
/// its name and is unique.
/// </summary>
/// <remarks>
/// Rooms found are cached in process, so a join or a post does not cost a database round trip (on D1, an HTTP
/// request); who belongs to them is in <see cref="RoomMembers"/>. A room created by another node shows up at once by
/// slug (a miss is not cached).
/// </remarks>
public sealed partial class RoomDirectory(ChatStore store, RoomMembers members, ReadState reads, MessageLog log, TimeProvider time, IMemoryCache cache)
{
    public const int MaxNameLength = 80;
    public const int MaxDescriptionLength = 500;
    public const int MaxSlugLength = 64;

    /// <summary>
    /// Who may see a room: read its history, get its live messages, typing and presence, post to it. Anyone signed in
    /// who is not banned sees a public room; only members see a private or direct one, and server admins a private one.
    /// Every transport (socket join, REST, web UI) asks through <see cref="GetForAsync"/> and <see cref="ListForAsync"/>;
    /// to everyone else the room does not exist.
    /// </summary>
    public static bool MaySee(Room room, RoomMembers.Roster roster, long userId, bool serverAdmin) =>
        userId > 0 && !roster.IsBanned(userId)
        && (room.IsPublic || roster.Find(userId) is not null || (serverAdmin && room.Visibility == RoomVisibility.Private));

    /// <summary>The rooms <paramref name="userId"/> may see, with their role in each.</summary>
    public async Task<IReadOnlyList<RoomListing>> ListForAsync(long userId, CancellationToken cancellationToken = default)
    {
        // The rooms from the store, the counts from memory (ReadState reads a room's once, then keeps them from its events).
        var listings = await store.ListRoomsForAsync(userId, cancellationToken);
        var counted = new List<RoomListing>(listings.Count);
        foreach (var listing in listings)
        {
            counted.Add(listing.IsMember && await reads.CountsAsync(RoomOf(listing), userId, cancellationToken) is { } counts
                ? listing with { LastReadSeq = counts.LastReadSeq, UnreadCount = counts.UnreadCount, MentionCount = counts.MentionCount }
                : listing);
        }

        return counted;
    }

    private static Room RoomOf(RoomListing listing) =>
        new(listing.Id, listing.Name, listing.Description, listing.Slug, listing.InsertedAt) { Visibility = listing.Visibility };

    /// <summary>The room, when it exists and <paramref name="userId"/> may see it; null either way otherwise (existence is not revealed).</summary>
    public Task<Room?> GetForAsync(long userId, string slug, CancellationToken cancellationToken = default) =>
        GetForAsync(userId, slug, serverAdmin: false, cancellationToken);

    /// <inheritdoc cref="GetForAsync(long, string, CancellationToken)"/>
    public async Task<Room?> GetForAsync(long userId, string slug, bool serverAdmin, CancellationToken cancellationToken = default) =>
        await GetAsync(slug, cancellationToken) is { } room && MaySee(room, await members.GetAsync(room.Id, cancellationToken), userId, serverAdmin)
            ? room
            : null;

    /// <summary>The room as <paramref name="user"/> sees it (their role, the other person of a direct room).</summary>
    public async Task<RoomListing> ListingForAsync(Room room, MessageAuthor user, CancellationToken cancellationToken = default)
    {
        var roster = await members.GetAsync(room.Id, cancellationToken);
        var other = room.IsDirect ? roster.List().Select(m => m.User).FirstOrDefault(u => u.Id != user.Id) : null;
        var role = roster.RoleOf(user.Id);
        return RoomListings.Of(room, roster.SlowModeSeconds, role, other, role is null ? null : await reads.CountsAsync(room, user.Id, cancellationToken));
    }

    /// <summary>How long a room found by slug stays cached. Rooms are never renamed or deleted.</summary>
    public static readonly TimeSpan RoomLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The room by slug, whoever asks: for the server's own use, never for a user's request.</summary>
    public async Task<Room?> GetAsync(string slug, CancellationToken cancellationToken = default)
    {
        if (slug.Length is 0 or > MaxSlugLength)
        {
            return null;
        }

        if (cache.TryGetValue(RoomKey(slug), out Room? room))
        {
            return room;
        }

        room = await store.GetRoomBySlugAsync(slug, cancellationToken);
        if (room is not null)
        {
            cache.Set(RoomKey(slug), room, RoomLifetime);
        }

        return room;
    }

    /// <summary>Creates a public or private room; <paramref name="creator"/> becomes its owner.</summary>
    public async Task<CreateRoomResult> CreateAsync(
        string? name, string? description, string? visibility, MessageAuthor creator, CancellationToken cancellationToken = default)
    {
        name = name?.Trim() ?? "";
        description = description?.Trim() ?? "";
        visibility ??= RoomVisibility.Public;
        var slug = Slugify(name);

        var errors = new Dictionary<string, string[]>();
        if (name.Length == 0)
        {
            errors["name"] = ["name can't be blank"];
        }
        else if (name.Length > MaxNameLength)
        {
            errors["name"] = [$"name must be at most {MaxNameLength} characters"];
        }
        else if (slug.Length == 0)
        {
            errors["name"] = ["name must contain at least one letter or digit"];
        }

        if (description.Length > MaxDescriptionLength)
        {
            errors["description"] = [$"description must be at most {MaxDescriptionLength} characters"];
        }

        if (DirectSlug().IsMatch(slug))
        {
            errors["name"] = [$"the address '{slug}' is kept for direct conversations"];
        }

        if (visibility is not (RoomVisibility.Public or RoomVisibility.Private))
        {
            errors["visibility"] = ["visibility must be public or private (a direct conversation starts at POST /api/dms)"];
        }

        if (errors.Count > 0)
        {
            return new CreateRoomResult(null, errors);
        }

        var room = await store.CreateRoomAsync(name, description, slug, visibility, time.GetUtcNow(), cancellationToken: cancellationToken);
        if (room is null)
        {
            return new CreateRoomResult(null, new Dictionary<string, string[]> { ["name"] = [$"a room with the address '{slug}' already exists"] }, Conflict: true);
        }

        cache.Set(RoomKey(slug), room, RoomLifetime);
        await log.CommitAsync(new AddMember(room, creator, creator, RoomRole.Owner), cancellationToken: cancellationToken);
        return new CreateRoomResult(room, null);
    }

    /// <summary>
    /// The direct room of <paramref name="me"/> and <paramref name="other"/>, either way round: the existing one, or a new
    /// one (<c>Created</c>) with both as members.
    /// </summary>
    public async Task<(Room Room, bool Created)> OpenDirectAsync(MessageAuthor me, MessageAuthor other, CancellationToken cancellationToken = default)
    {
        var (first, second) = me.Id < other.Id ? (me, other) : (other, me);
        var key = DirectKey(first.Id, second.Id);
        var created = false;
        if (await store.GetDirectRoomAsync(key, cancellationToken) is not { } room)
        {
            room = await store.CreateRoomAsync(
                $"{first.Username}, {second.Username}", "", $"dm-{first.Id}-{second.Id}", RoomVisibility.Direct, time.GetUtcNow(), key, cancellationToken);
            created = room is not null;
            // Both asked at once: the other request made it.
            room ??= await store.GetDirectRoomAsync(key, cancellationToken)
                ?? throw new StorageException("A direct room was neither created nor found.", StorageErrorKind.Unavailable);
        }

        // Both belong to it (made anew, or left half made by a request that failed midway).
        var roster = await members.GetAsync(room.Id, cancellationToken);
        foreach (var person in new[] { first, second })
        {
            if (roster.Find(person.Id) is null)
            {
                await log.CommitAsync(new AddMember(room, me, person, RoomRole.Member), cancellationToken: cancellationToken);
            }
        }

        return (room, created);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^dm-[0-9]+-[0-9]+$")]
    private static partial System.Text.RegularExpressions.Regex DirectSlug();

    /// <summary>A pair of users' key to their direct room: their ids, smaller first (<c>"3:7"</c>).</summary>
    public static string DirectKey(long first, long second) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Math.Min(first, second)}:{Math.Max(first, second)}");

    private static string RoomKey(string slug) => "rooms:slug:" + slug;

    /// <summary>
    /// "Tech Talk!" becomes "tech-talk": letters and digits (of any script) lower-cased, every run of anything else one dash.
    /// </summary>
    public static string Slugify(string name)
    {
        var slug = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsLetterOrDigit(c))
            {
                slug.Append(char.ToLowerInvariant(c));
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var text = slug.ToString().TrimEnd('-');
        return text.Length > MaxSlugLength ? text[..MaxSlugLength].TrimEnd('-') : text;
    }
}

public sealed record CreateRoomResult(Room? Room, IReadOnlyDictionary<string, string[]>? Errors, bool Conflict = false);
