using Confab.Accounts;
using Confab.Api;
using Confab.Rooms;
using Confab.Storage;

namespace Confab.Messages;

/// <summary>
/// <c>GET /api/rooms/{slug}/messages?before_seq=&amp;after_seq=&amp;limit=</c> reads history (current state), oldest first;
/// <c>POST /api/rooms/{slug}/messages</c> posts, <c>PATCH</c> / <c>DELETE .../messages/{id}</c> edit and delete,
/// <c>PUT</c> / <c>DELETE .../messages/{id}/reactions/{emoji}</c> react, with the same rules and broadcasts as the socket;
/// <c>GET /api/rooms/{slug}/events?after_seq=&amp;limit=</c> reads the room's events in seq order.
/// </summary>
public static class MessagesApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    public static IServiceCollection AddMessages(this IServiceCollection services)
    {
        services.AddOptions<MessageOptions>().BindConfiguration(MessageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MessageLogOptions>().BindConfiguration(MessageLogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<MessageLogOptions>, MessageLogOptionsValidator>();
        services.AddSingleton<MessageLog>();
        services.AddHostedService(provider => provider.GetRequiredService<MessageLog>());
        services.AddSingleton<MessageActions>();
        return services;
    }

    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder endpoints)
    {
        var messages = endpoints.MapGroup("/api/rooms/{slug}/messages").RequireAuthorization(AuthSetup.ApiUserPolicy);

        messages.MapGet("/", async (string slug, long? before_seq, long? after_seq, int? limit, HttpContext context, RoomDirectory rooms, ChatStore store, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (limit is < 1 or > MaxPageSize)
            {
                errors["limit"] = [$"limit must be between 1 and {MaxPageSize}"];
            }

            if (before_seq < 0)
            {
                errors["before_seq"] = ["before_seq must not be negative"];
            }

            if (after_seq < 0)
            {
                errors["after_seq"] = ["after_seq must not be negative"];
            }

            if (errors.Count > 0)
            {
                return Problems.Validation(errors);
            }

            if (await rooms.GetForAsync(context.User.UserId(), slug, ct) is not { } room)
            {
                return RoomNotFound(slug);
            }

            var size = limit ?? DefaultPageSize;
            var page = after_seq is { } after
                ? await store.ListMessagesAfterAsync(room.Id, after, before_seq, size, ct)
                : await store.ListMessagesBeforeAsync(room.Id, before_seq, size, ct);
            return Results.Ok(page);
        });

        messages.MapPost("/", async (string slug, PostMessageRequest request, HttpContext context, RoomDirectory rooms, MessageActions actions, CancellationToken ct) =>
        {
            if (await rooms.GetForAsync(context.User.UserId(), slug, ct) is not { } room)
            {
                return RoomNotFound(slug);
            }

            var result = await actions.PostAsync(room, Author(context), request.Content, request.ClientId, request.ReplyTo, ct);
            return result.Outcome switch
            {
                ChangeOutcome.Done when result.Duplicate => Results.Ok(result.Message),
                ChangeOutcome.Done => Results.Created($"/api/rooms/{slug}/messages/{result.Message!.Id}", result.Message),
                _ => Refusal(context, result),
            };
        });

        messages.MapPatch("/{id:long}", async (string slug, long id, EditMessageRequest request, HttpContext context, RoomDirectory rooms, MessageActions actions, CancellationToken ct) =>
        {
            if (await rooms.GetForAsync(context.User.UserId(), slug, ct) is not { } room)
            {
                return RoomNotFound(slug);
            }

            var result = await actions.EditAsync(room, Author(context), id, request.Content, ct);
            return result.Outcome == ChangeOutcome.Done ? Results.Ok(result.Message) : Refusal(context, result);
        });

        messages.MapDelete("/{id:long}", async (string slug, long id, HttpContext context, RoomDirectory rooms, MessageActions actions, ServerAdmins admins, CancellationToken ct) =>
            await rooms.GetForAsync(context.User.UserId(), slug, admins.Is(context.User.Username()), ct) is not { } room
                ? RoomNotFound(slug)
                : NoContentOr(context, await actions.DeleteAsync(room, Author(context), id, ct)));

        messages.MapPut("/{id:long}/reactions/{emoji}", (string slug, long id, string emoji, HttpContext context, RoomDirectory rooms, MessageActions actions, CancellationToken ct) =>
            ReactAsync(slug, id, emoji, add: true, context, rooms, actions, ct));

        messages.MapDelete("/{id:long}/reactions/{emoji}", (string slug, long id, string emoji, HttpContext context, RoomDirectory rooms, MessageActions actions, CancellationToken ct) =>
            ReactAsync(slug, id, emoji, add: false, context, rooms, actions, ct));

        endpoints.MapGet("/api/rooms/{slug}/events", async (string slug, long? after_seq, int? limit, HttpContext context, RoomDirectory rooms, ChatStore store, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (limit is < 1 or > MaxEventPageSize)
            {
                errors["limit"] = [$"limit must be between 1 and {MaxEventPageSize}"];
            }

            if (after_seq is null or < 0)
            {
                errors["after_seq"] = ["after_seq is required and must not be negative"];
            }

            if (errors.Count > 0)
            {
                return Problems.Validation(errors);
            }

            return await rooms.GetForAsync(context.User.UserId(), slug, ct) is not { } room
                ? RoomNotFound(slug)
                : Results.Ok(await store.ListEventsAfterAsync(room.Id, after_seq!.Value, limit ?? DefaultEventPageSize, ct));
        }).RequireAuthorization(AuthSetup.ApiUserPolicy);

        return endpoints;
    }

    public const int DefaultEventPageSize = 100;
    public const int MaxEventPageSize = 500;

    private static async Task<IResult> ReactAsync(
        string slug, long id, string emoji, bool add, HttpContext context, RoomDirectory rooms, MessageActions actions, CancellationToken ct) =>
        await rooms.GetForAsync(context.User.UserId(), slug, ct) is not { } room
            ? RoomNotFound(slug)
            : NoContentOr(context, await actions.ReactAsync(room, Author(context), id, emoji, add, ct));

    private static MessageAuthor Author(HttpContext context) => new(context.User.UserId(), context.User.Username());

    private static IResult NoContentOr(HttpContext context, ChangeResult result) =>
        result.Outcome is ChangeOutcome.Done or ChangeOutcome.Unchanged ? Results.NoContent() : Refusal(context, result);

    /// <summary>Why a change was not made, as HTTP means it: 404, 403, 422 (with field errors when the input was at fault), 429.</summary>
    private static IResult Refusal(HttpContext context, ChangeResult result) =>
        Problems.Refusal(context, result.Outcome, result.Reason, result.Errors, result.RetryAfter);

    private static IResult RoomNotFound(string slug) => Problems.NotFound($"There is no room '{slug}'.");
}
