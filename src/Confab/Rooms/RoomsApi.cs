using Confab.Accounts;
using Confab.Api;
using Confab.Messages;

namespace Confab.Rooms;

/// <summary>
/// Rooms and their members, for holders of a bearer token: <c>GET</c> / <c>POST /api/rooms</c>, <c>GET</c> / <c>PATCH
/// /api/rooms/{slug}</c>, <c>/api/rooms/{slug}/members</c>, <c>/mutes</c>, <c>/bans</c>, and <c>POST /api/dms</c>.
/// </summary>
public static class RoomsApi
{
    /// <summary>The room directory, members and their actions, and a room's live side (<see cref="RoomActivity"/>: typing, presence metas), whose typing interval is <c>Confab:Realtime:TypingInterval</c>.</summary>
    public static IServiceCollection AddRooms(this IServiceCollection services)
    {
        services.AddOptions<RoomActivityOptions>().BindConfiguration("Confab:Realtime");
        services.AddSingleton<RoomMembers>();
        services.AddSingleton<ReadState>();
        services.AddHostedService(provider => provider.GetRequiredService<ReadState>());
        // Before RoomBroadcasts (AddRealtime), though the order only matters for Committed: RoomMembers uses Stored.
        services.AddHostedService(provider => provider.GetRequiredService<RoomMembers>());
        return services.AddMemoryCache().AddSingleton<ServerAdmins>().AddSingleton<MemberActions>().AddSingleton<RoomDirectory>()
            .AddSingleton<TypingThrottle>().AddSingleton<RoomActivity>();
    }

    public static IEndpointRouteBuilder MapRooms(this IEndpointRouteBuilder endpoints)
    {
        var rooms = endpoints.MapGroup("/api/rooms").RequireAuthorization(AuthSetup.ApiUserPolicy);

        rooms.MapGet("/", async (HttpContext context, RoomDirectory directory, CancellationToken ct) =>
            Results.Ok(await directory.ListForAsync(context.User.UserId(), ct)));

        rooms.MapGet("/{slug}", async (string slug, HttpContext context, RoomDirectory directory, CancellationToken ct) =>
            await directory.GetForAsync(context.User.UserId(), slug, ct) is { } room
                ? Results.Ok(await directory.ListingForAsync(room, Me(context), ct))
                : RoomNotFound(slug));

        rooms.MapPost("/", async (CreateRoomRequest request, HttpContext context, RoomDirectory directory, CancellationToken ct) =>
        {
            var result = await directory.CreateAsync(request.Name, request.Description, request.Visibility, Me(context), ct);
            return result switch
            {
                { Room: { } room } => Results.Created($"/api/rooms/{room.Slug}", await directory.ListingForAsync(room, Me(context), ct)),
                { Conflict: true } => Problems.Conflict(result.Errors!),
                _ => Problems.Validation(result.Errors!),
            };
        });

        rooms.MapPatch("/{slug}", (string slug, UpdateRoomRequest request, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room =>
            {
                var result = await actions.SetSlowModeAsync(room, Me(context), request.SlowModeSeconds, ct);
                return result.Outcome is ChangeOutcome.Done or ChangeOutcome.Unchanged
                    ? Results.Ok(await directory.ListingForAsync(room, Me(context), ct))
                    : Problems.Refusal(context, result.Outcome, result.Reason, result.Errors, result.RetryAfter);
            }, ct));

        rooms.MapPut("/{slug}/read", (string slug, MarkReadRequest request, HttpContext context, RoomDirectory directory, ReadState reads, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room =>
            {
                if (request.Seq is not >= 0)
                {
                    return Problems.Validation(new Dictionary<string, string[]> { ["seq"] = ["seq is required and must not be negative"] });
                }

                return await reads.MarkReadAsync(room, Me(context), request.Seq.Value, ct) is { } counts
                    ? Results.Ok(new ReadMarkerNotice(room.Slug, counts.LastReadSeq, counts.UnreadCount, counts.MentionCount))
                    : Problems.NotFound("You are not a member of this room.");
            }, ct));

        rooms.MapGet("/{slug}/members", (string slug, HttpContext context, RoomDirectory directory, RoomMembers members, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => Results.Ok((await members.GetAsync(room.Id, ct)).List()), ct));

        rooms.MapPost("/{slug}/members", (string slug, AddMemberRequest request, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => Member(context, await actions.AddAsync(room, Me(context), request.Username, request.Role, ct), created: true), ct));

        rooms.MapPatch("/{slug}/members/{username}", (string slug, string username, SetRoleRequest request, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => Member(context, await actions.SetRoleAsync(room, Me(context), username, request.Role, ct)), ct));

        rooms.MapDelete("/{slug}/members/{username}", (string slug, string username, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => NoContent(context, await actions.RemoveAsync(room, Me(context), username, ct)), ct));

        rooms.MapPost("/{slug}/mutes", (string slug, MuteRequest request, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => Member(context, await actions.MuteAsync(room, Me(context), request.Username, request.Seconds, ct)), ct));

        rooms.MapDelete("/{slug}/mutes/{username}", (string slug, string username, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => NoContent(context, await actions.MuteAsync(room, Me(context), username, 0, ct)), ct));

        rooms.MapPost("/{slug}/bans", (string slug, BanRequest request, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => NoContent(context, await actions.BanAsync(room, Me(context), request.Username, ct)), ct));

        rooms.MapDelete("/{slug}/bans/{username}", (string slug, string username, HttpContext context, RoomDirectory directory, MemberActions actions, ServerAdmins admins, CancellationToken ct) =>
            InRoomAsync(slug, context, directory, admins, async room => NoContent(context, await actions.UnbanAsync(room, Me(context), username, ct)), ct));

        endpoints.MapPost("/api/dms", async (DirectRequest request, HttpContext context, RoomDirectory directory, Storage.ChatStore store, CancellationToken ct) =>
        {
            var me = Me(context);
            if (string.IsNullOrWhiteSpace(request.Username) || request.Username.Length > 100
                || await store.FindUserAsync(request.Username.Trim(), ct) is not { } other)
            {
                return Problems.NotFound($"There is no user '{request.Username}'.");
            }

            if (other.Id == me.Id)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["username"] = ["a direct conversation is with someone else"] });
            }

            var (room, created) = await directory.OpenDirectAsync(me, other, ct);
            var listing = await directory.ListingForAsync(room, me, ct);
            return created ? Results.Created($"/api/rooms/{room.Slug}", listing) : Results.Ok(listing);
        }).RequireAuthorization(AuthSetup.ApiUserPolicy);

        return endpoints;
    }

    private static MessageAuthor Me(HttpContext context) => new(context.User.UserId(), context.User.Username());

    // The room as the caller may see it (server admins also see private rooms), or 404.
    private static async Task<IResult> InRoomAsync(
        string slug, HttpContext context, RoomDirectory directory, ServerAdmins admins, Func<Room, Task<IResult>> then, CancellationToken ct) =>
        await directory.GetForAsync(context.User.UserId(), slug, admins.Is(context.User.Username()), ct) is { } room
            ? await then(room)
            : RoomNotFound(slug);

    private static IResult Member(HttpContext context, MemberResult result, bool created = false) => result.Outcome switch
    {
        ChangeOutcome.Done when created => Results.Created((string?)null, result.Member),
        ChangeOutcome.Done or ChangeOutcome.Unchanged => Results.Ok(result.Member),
        _ => Problems.Refusal(context, result.Outcome, result.Reason, result.Errors),
    };

    private static IResult NoContent(HttpContext context, MemberResult result) =>
        result.Outcome is ChangeOutcome.Done or ChangeOutcome.Unchanged ? Results.NoContent() : Problems.Refusal(context, result.Outcome, result.Reason, result.Errors);

    private static IResult RoomNotFound(string slug) => Problems.NotFound($"There is no room '{slug}'.");
}

public sealed record UpdateRoomRequest(int? SlowModeSeconds);

public sealed record AddMemberRequest(string? Username, string? Role);

public sealed record SetRoleRequest(string? Role);

public sealed record MuteRequest(string? Username, int? Seconds);

public sealed record BanRequest(string? Username);

public sealed record DirectRequest(string? Username);

public sealed record MarkReadRequest(long? Seq);
