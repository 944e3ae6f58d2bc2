using System.Text;
using Confab.Storage;
using Microsoft.Extensions.Caching.Memory;

namespace Confab.Rooms;

/// <summary>
/// Finding and creating rooms. A room's slug comes from its name and is unique.
/// </summary>
/// <remarks>
/// Rooms found are cached in process, so a join or a post does not cost a database round trip (on D1, an HTTP
/// request). Creating a room updates the cache; a room created by another node shows up at once by slug (a miss is
/// not cached) and in the list within <see cref="ListLifetime"/>.
/// </remarks>
public sealed class RoomDirectory(ChatStore store, TimeProvider time, IMemoryCache cache)
{
    public const int MaxNameLength = 80;
    public const int MaxDescriptionLength = 500;
    public const int MaxSlugLength = 64;

    /// <summary>
    /// The one rule of who may see a room: read its history, get its live messages, typing and presence, post to it.
    /// Every transport (socket join, REST, web UI) asks through <see cref="GetForAsync"/> and <see cref="ListForAsync"/>.
    /// Today every room is public: any signed-in user (any real user id) sees every room.
    /// </summary>
    public static bool MaySee(long userId, Room room) => userId > 0 && room.Id > 0;

    /// <summary>The rooms <paramref name="userId"/> may see.</summary>
    public async Task<IReadOnlyList<Room>> ListForAsync(long userId, CancellationToken cancellationToken = default) =>
        [.. (await ListAsync(cancellationToken)).Where(room => MaySee(userId, room))];

    /// <summary>The room, when it exists and <paramref name="userId"/> may see it; null either way otherwise (existence is not revealed).</summary>
    public async Task<Room?> GetForAsync(long userId, string slug, CancellationToken cancellationToken = default) =>
        await GetAsync(slug, cancellationToken) is { } room && MaySee(userId, room) ? room : null;


    /// <summary>How long a room found by slug stays cached. Rooms are never renamed or deleted.</summary>
    public static readonly TimeSpan RoomLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How long the list of rooms stays cached (bounds how late another node's new room appears).</summary>
    public static readonly TimeSpan ListLifetime = TimeSpan.FromSeconds(30);

    private const string ListKey = "rooms:list";

    /// <summary>Every room, whoever asks: for the server's own use, never for a user's request.</summary>
    public async Task<IReadOnlyList<Room>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(ListKey, out IReadOnlyList<Room>? rooms) && rooms is not null)
        {
            return rooms;
        }

        rooms = await store.ListRoomsAsync(cancellationToken);
        cache.Set(ListKey, rooms, ListLifetime);
        return rooms;
    }

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

    public async Task<CreateRoomResult> CreateAsync(string? name, string? description, CancellationToken cancellationToken = default)
    {
        name = name?.Trim() ?? "";
        description = description?.Trim() ?? "";
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

        if (errors.Count > 0)
        {
            return new CreateRoomResult(null, errors);
        }

        var room = await store.CreateRoomAsync(name, description, slug, time.GetUtcNow(), cancellationToken);
        if (room is null)
        {
            return new CreateRoomResult(null, new Dictionary<string, string[]> { ["name"] = [$"a room with the address '{slug}' already exists"] }, Conflict: true);
        }

        cache.Remove(ListKey);
        cache.Set(RoomKey(slug), room, RoomLifetime);
        return new CreateRoomResult(room, null);
    }

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
