namespace Confab.Channels;

/// <summary>The outcome of <see cref="PhoenixSocket.ConnectAsync"/>.</summary>
public readonly struct ConnectResult
{
    private ConnectResult(bool isAccepted, object? assigns, string? socketId)
    {
        IsAccepted = isAccepted;
        Assigns = assigns;
        SocketId = socketId;
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

    /// <summary>Accepts the connection.</summary>
    public static ConnectResult Accept(object? assigns = null, string? socketId = null) => new(true, assigns, socketId);

    /// <summary>Refuses the connection: the client gets a plain HTTP 403 with an empty body and no upgrade.</summary>
    public static ConnectResult Refuse() => new(false, null, null);
}
