namespace Confab.Channels;

/// <summary>The outcome of <see cref="PhoenixSocket.ConnectAsync"/>.</summary>
public readonly struct ConnectResult
{
    private ConnectResult(bool isAccepted, object? assigns, string? socketId, int statusCode, string? reason)
    {
        IsAccepted = isAccepted;
        Assigns = assigns;
        SocketId = socketId;
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>True when the WebSocket is accepted.</summary>
    public bool IsAccepted { get; }

    /// <summary>Application state for the socket, available to every channel as <see cref="SocketContext.Assigns"/>.</summary>
    public object? Assigns { get; }

    /// <summary>
    /// The socket id (Phoenix's <c>id/1</c>), e.g. <c>"user_socket:42"</c>, or null for an anonymous socket.
    /// Broadcasting the event <c>"disconnect"</c> on this topic closes every socket with this id (close code 1001).
    /// </summary>
    public string? SocketId { get; }

    /// <summary>A refusal's HTTP status: 403 unless <see cref="Refuse(int, string)"/> gave another.</summary>
    public int StatusCode { get; }

    /// <summary>A refusal's reason, sent as a <c>text/plain</c> body; null for an empty body.</summary>
    public string? Reason { get; }

    /// <summary>Accepts the connection.</summary>
    public static ConnectResult Accept(object? assigns = null, string? socketId = null) => new(true, assigns, socketId, 101, null);

    /// <summary>Refuses the connection: the client gets a plain HTTP 403 with an empty body and no upgrade.</summary>
    public static ConnectResult Refuse() => new(false, null, null, 403, null);

    /// <summary>
    /// Refuses the connection with another status and a reason, e.g. <c>Refuse(429, "too many open sockets for this user")</c>:
    /// <c>HTTP/1.1 429 Too Many Requests</c> with the reason as a <c>text/plain</c> body, and no upgrade. Browsers do not show
    /// a failed upgrade's body to scripts; other clients (and a developer's network tab) do.
    /// </summary>
    public static ConnectResult Refuse(int statusCode, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(false, null, null, statusCode, reason);
    }
}
