namespace Confab.Channels;

/// <summary>
/// The answer to a client push, sent as a <c>phx_reply</c> with the push's <c>ref</c> and the channel's join_ref.
/// </summary>
/// <remarks>
/// For the push <c>["3","6","room:lobby","new_msg",{"body":"hello"}]</c>, <c>Reply.Ok(payload)</c> with the payload
/// <c>{"id":42}</c> is sent as <c>["3","6","room:lobby","phx_reply",{"status":"ok","response":{"id":42}}]</c>.
/// Any status string is allowed; the client's <c>push.receive(status, callback)</c> selects the callback by it.
/// A binary reply (<see cref="Binary"/>) is sent as a V2 binary frame of kind 1:
/// <c>01 len(join_ref) len(ref) len(topic) len(status) join_ref ref topic status bytes</c>.
/// </remarks>
public readonly struct Reply
{
    private readonly string? _status;

    private Reply(string status, JsonPayload response, ReadOnlyMemory<byte> binary, bool isBinary)
    {
        _status = status;
        Response = response;
        BinaryResponse = binary;
        IsBinary = isBinary;
    }

    /// <summary>The status, e.g. <c>"ok"</c> or <c>"error"</c> (<c>"ok"</c> for a default instance).</summary>
    public string Status => _status ?? "ok";

    /// <summary>The JSON response object (<c>{}</c> unless given). Unused for a binary reply.</summary>
    public JsonPayload Response { get; }

    /// <summary>The raw bytes of a binary reply.</summary>
    public ReadOnlyMemory<byte> BinaryResponse { get; }

    /// <summary>True when the reply is sent as a V2 binary frame.</summary>
    public bool IsBinary { get; }

    /// <summary>An <c>ok</c> reply: <c>{"status":"ok","response":{…}}</c>; the response defaults to <c>{}</c>.</summary>
    public static Reply Ok(JsonPayload? response = null) => new("ok", response ?? JsonPayload.Empty, default, false);

    /// <summary>An <c>error</c> reply, e.g. <c>{"status":"error","response":{"reason":"too long"}}</c>.</summary>
    public static Reply Error(JsonPayload response) => new("error", response, default, false);

    /// <summary>A reply with any status string.</summary>
    public static Reply Create(string status, JsonPayload response)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        return new Reply(status, response, default, false);
    }

    /// <summary>
    /// A binary reply (V2 sockets only; the status must be at most 255 UTF-8 bytes). The bytes are copied into the
    /// frame when the reply is sent. The client sees <c>{status, response: ArrayBuffer}</c>.
    /// </summary>
    public static Reply Binary(string status, ReadOnlyMemory<byte> response)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        return new Reply(status, JsonPayload.Empty, response, true);
    }
}
