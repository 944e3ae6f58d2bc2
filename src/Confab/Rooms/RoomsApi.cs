using Confab.Accounts;
using Confab.Api;

namespace Confab.Rooms;

/// <summary><c>GET /api/rooms</c>, <c>POST /api/rooms</c>, <c>GET /api/rooms/{slug}</c>, for holders of a bearer token.</summary>
public static class RoomsApi
{
    /// <summary>The room directory, and a room's live side (<see cref="RoomActivity"/>: typing, presence metas), whose typing interval is <c>Confab:Realtime:TypingInterval</c>.</summary>
    public static IServiceCollection AddRooms(this IServiceCollection services)
    {
        services.AddOptions<RoomActivityOptions>().BindConfiguration("Confab:Realtime");
        return services.AddMemoryCache().AddSingleton<RoomDirectory>().AddSingleton<TypingThrottle>().AddSingleton<RoomActivity>();
    }

    public static IEndpointRouteBuilder MapRooms(this IEndpointRouteBuilder endpoints)
    {
        var rooms = endpoints.MapGroup("/api/rooms").RequireAuthorization(AuthSetup.ApiUserPolicy);

        rooms.MapGet("/", async (HttpContext context, RoomDirectory directory, CancellationToken ct) =>
            Results.Ok(await directory.ListForAsync(context.User.UserId(), ct)));

        rooms.MapGet("/{slug}", async (string slug, HttpContext context, RoomDirectory directory, CancellationToken ct) =>
            await directory.GetForAsync(context.User.UserId(), slug, ct) is { } room ? Results.Ok(room) : Problems.NotFound($"There is no room '{slug}'."));

        rooms.MapPost("/", async (CreateRoomRequest request, RoomDirectory directory, CancellationToken ct) =>
        {
            var result = await directory.CreateAsync(request.Name, request.Description, ct);
            return result switch
            {
                { Room: { } room } => Results.Created($"/api/rooms/{room.Slug}", room),
                { Conflict: true } => Problems.Conflict(result.Errors!),
                _ => Problems.Validation(result.Errors!),
            };
        });

        return endpoints;
    }
}
