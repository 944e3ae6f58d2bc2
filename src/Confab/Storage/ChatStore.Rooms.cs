using Confab.Rooms;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    private const string RoomColumns = "id, name, description, slug, inserted_at";

    public async Task<IReadOnlyList<Room>> ListRoomsAsync(CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(new SqlStatement($"SELECT {RoomColumns} FROM rooms ORDER BY id"), cancellationToken))
            .Rows.Select(ReadRoom).ToList();

    public async Task<Room?> GetRoomBySlugAsync(string slug, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(new SqlStatement($"SELECT {RoomColumns} FROM rooms WHERE slug = ?1", slug), cancellationToken);
        return row is null ? null : ReadRoom(row);
    }

    /// <summary>Inserts a room; null when the slug is taken.</summary>
    public async Task<Room?> CreateRoomAsync(string name, string description, string slug, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(
            new SqlStatement(
                $"INSERT OR IGNORE INTO rooms (name, description, slug, inserted_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING {RoomColumns}",
                name, description, slug, DbTime.ToText(now)),
            cancellationToken);
        return row is null ? null : ReadRoom(row);
    }

    private static Room ReadRoom(SqlRow row) =>
        new(row.GetInt64("id"), row.GetString("name"), row.GetString("description"), row.GetString("slug"), DbTime.Parse(row.GetString("inserted_at")));
}
