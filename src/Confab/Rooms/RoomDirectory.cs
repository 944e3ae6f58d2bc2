using System.Text;
using Confab.Storage;

namespace Confab.Rooms;

/// <summary>Finding and creating rooms. A room's slug comes from its name and is unique.</summary>
public sealed class RoomDirectory(ChatStore store, TimeProvider time)
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
        [.. (await store.ListRoomsAsync(cancellationToken)).Where(room => MaySee(userId, room))];

    /// <summary>The room, when it exists and <paramref name="userId"/> may see it; null either way otherwise (existence is not revealed).</summary>
    public async Task<Room?> GetForAsync(long userId, string slug, CancellationToken cancellationToken = default) =>
        await GetAsync(slug, cancellationToken) is { } room && MaySee(userId, room) ? room : null;

    /// <summary>The room by slug, whoever asks: for the server's own use, never for a user's request.</summary>
    public Task<Room?> GetAsync(string slug, CancellationToken cancellationToken = default) =>
        slug.Length is 0 or > MaxSlugLength ? Task.FromResult<Room?>(null) : store.GetRoomBySlugAsync(slug, cancellationToken);

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
        return room is null
            ? new CreateRoomResult(null, new Dictionary<string, string[]> { ["name"] = [$"a room with the address '{slug}' already exists"] }, Conflict: true)
            : new CreateRoomResult(room, null);
    }

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
