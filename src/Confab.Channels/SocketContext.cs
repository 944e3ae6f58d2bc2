namespace Confab.Channels;

/// <summary>The accepted socket a channel belongs to.</summary>
public sealed class SocketContext
{
    internal SocketContext(string connectionId, string? id, object? assigns, IReadOnlyDictionary<string, string> parameters)
    {
        ConnectionId = connectionId;
        Id = id;
        Assigns = assigns;
        Params = parameters;
    }

    /// <summary>The socket id given by <see cref="ConnectResult.Accept"/>, or null.</summary>
    public string? Id { get; }

    /// <summary>The application state given by <see cref="ConnectResult.Accept"/>, e.g. the authenticated user.</summary>
    public object? Assigns { get; }

    /// <summary>A unique id of this WebSocket connection (the HTTP connection and request id).</summary>
    public string ConnectionId { get; }

    /// <summary>The connect params (query string without <c>vsn</c>).</summary>
    public IReadOnlyDictionary<string, string> Params { get; }
}
