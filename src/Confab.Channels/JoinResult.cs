namespace Confab.Channels;

/// <summary>The outcome of <see cref="Channel.JoinAsync"/>.</summary>
/// <remarks>
/// For the join <c>["3","3","room:lobby","phx_join",{}]</c>: <c>JoinResult.Ok()</c> is answered with
/// <c>["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}]</c> and the channel is registered;
/// <c>JoinResult.Error(payload)</c> with <c>{"reason":"unauthorized"}</c> is answered with
/// <c>["3","3","room:lobby","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]</c>, nothing is
/// registered and no <c>phx_close</c> follows. The official client retries a refused join forever (1 s, 2 s, 5 s,
/// then every 10 s); to stop it for good, accept the join and call <see cref="ChannelContext.Stop"/>.
/// </remarks>
public readonly struct JoinResult
{
    private JoinResult(bool isOk, JsonPayload response)
    {
        IsOk = isOk;
        Response = response;
    }

    /// <summary>True when the join was accepted.</summary>
    public bool IsOk { get; }

    /// <summary>The response object of the join reply.</summary>
    public JsonPayload Response { get; }

    /// <summary>Accepts the join; the response defaults to <c>{}</c>.</summary>
    public static JoinResult Ok(JsonPayload? response = null) => new(true, response ?? JsonPayload.Empty);

    /// <summary>Refuses the join with an error response such as <c>{"reason":"unauthorized"}</c>.</summary>
    public static JoinResult Error(JsonPayload response) => new(false, response);
}
