using Confab.Accounts;
using Confab.Api;
using Confab.Rooms;
using Confab.Storage;

namespace Confab.Messages;

/// <summary>
/// <c>GET /api/rooms/{slug}/messages?before_seq=&amp;after_seq=&amp;limit=</c> reads history, oldest first;
/// <c>POST /api/rooms/{slug}/messages</c> posts with the same rules as the socket.
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
        services.AddSingleton<MessagePoster>();
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

        messages.MapPost("/", async (string slug, PostMessageRequest request, HttpContext context, RoomDirectory rooms, MessagePoster poster, CancellationToken ct) =>
        {
            if (await rooms.GetForAsync(context.User.UserId(), slug, ct) is not { } room)
            {
                return RoomNotFound(slug);
            }

            var author = new MessageAuthor(context.User.UserId(), context.User.Username());
            var result = await poster.PostAsync(room, author, request.Content, request.ClientId, ct);
            return result.Outcome switch
            {
                PostOutcome.Posted when result.Duplicate => Results.Ok(result.Message),
                PostOutcome.Posted => Results.Created($"/api/rooms/{slug}/messages/{result.Message!.Seq}", result.Message),
                PostOutcome.RateLimited => Problems.TooManyRequests(context, "Too many messages. Please slow down.", result.RetryAfter),
                _ => Problems.Validation(result.Errors!),
            };
        });

        return endpoints;
    }

    private static IResult RoomNotFound(string slug) => Problems.NotFound($"There is no room '{slug}'.");
}
