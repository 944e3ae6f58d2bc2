using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Confab.Channels.Client;

/// <summary>
/// The answer to a join, push or leave: what the server replied (<c>{"status": "ok", "response": {...}}</c>, or
/// <c>"error"</c> with e.g. <c>{"reason": "room not found"}</c>), or <see cref="TimeoutStatus"/> when no reply came in time.
/// </summary>
/// <param name="Status"><c>"ok"</c>, <c>"error"</c>, <c>"timeout"</c> (made locally), or another status the server chose.</param>
/// <param name="Response">The reply's <c>response</c> (an object; <c>{}</c> when the server sent none).</param>
public readonly record struct PhoenixReply(string Status, JsonElement Response)
{
    /// <summary>The status of a successful reply.</summary>
    public const string OkStatus = "ok";

    /// <summary>The status of a refusal.</summary>
    public const string ErrorStatus = "error";

    /// <summary>The status made locally when no reply came within the timeout (the server may still have acted).</summary>
    public const string TimeoutStatus = "timeout";

    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement;
    private static readonly JsonElement BufferFull = JsonDocument.Parse("""{"reason":"buffer full"}""").RootElement;

    /// <summary>True when the server answered ok.</summary>
    public bool IsOk => Status == OkStatus;

    /// <summary>True when the server answered error.</summary>
    public bool IsError => Status == ErrorStatus;

    /// <summary>True when no reply came in time (or the outgoing buffer was full: <see cref="Reason"/> is then <c>"buffer full"</c>).</summary>
    public bool IsTimeout => Status == TimeoutStatus;

    /// <summary>The response's <c>"reason"</c> string, if it has one.</summary>
    public string? Reason =>
        Response.ValueKind == JsonValueKind.Object && Response.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
            ? reason.GetString()
            : null;

    /// <summary>The response as a <typeparamref name="T"/>, through source-generated metadata (no reflection).</summary>
    public T? Deserialize<T>(JsonTypeInfo<T> typeInfo) => Response.Deserialize(typeInfo);

    internal static PhoenixReply TimedOut { get; } = new(TimeoutStatus, Empty);

    internal static PhoenixReply OutgoingBufferFull { get; } = new(TimeoutStatus, BufferFull);

    internal static PhoenixReply LocalOk { get; } = new(OkStatus, Empty);

    /// <summary>A <c>phx_reply</c> payload: <c>{"status": "ok", "response": {...}}</c>.</summary>
    internal static PhoenixReply From(JsonElement payload)
    {
        var status = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()!
            : ErrorStatus;
        var response = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("response", out var r) ? r : Empty;
        return new PhoenixReply(status, response);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Status} {Response.GetRawText()}";
}
