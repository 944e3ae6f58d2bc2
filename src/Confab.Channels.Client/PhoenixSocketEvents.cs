namespace Confab.Channels.Client;

/// <summary>Where a <see cref="PhoenixSocket"/>'s connection stands, as phoenix.js's <c>connectionState()</c>.</summary>
public enum PhoenixSocketState
{
    /// <summary>Not connected: before <see cref="PhoenixSocket.ConnectAsync"/>, after a disconnect, or between reconnect attempts.</summary>
    Closed,

    /// <summary>Opening the WebSocket.</summary>
    Connecting,

    /// <summary>Connected: frames flow and heartbeats run.</summary>
    Open,
}

/// <summary>How a connection ended.</summary>
/// <param name="Status">The WebSocket close code: the server's (e.g. 1001 when it disconnected the socket), this side's (1000 with
/// reason <c>"heartbeat timeout"</c>, 1009 for a message over <see cref="PhoenixSocketOptions.MaxMessageBytes"/>), or 1006 when the
/// connection was lost or never opened.</param>
/// <param name="Reason">The close reason, if any.</param>
/// <param name="WillReconnect">True when the socket will try again (everything but <see cref="PhoenixSocket.DisconnectAsync"/>).</param>
public sealed record PhoenixSocketClosed(int Status, string? Reason, bool WillReconnect);

/// <summary>
/// The socket could not connect: the server refused the upgrade (with the HTTP status where the platform tells it,
/// e.g. 403 for a bad token; browsers do not), or it could not be reached.
/// </summary>
public sealed class PhoenixConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PhoenixConnectionException(string message, int? httpStatusCode, Exception? innerException)
        : base(message, innerException) => HttpStatusCode = httpStatusCode;

    /// <summary>Creates the exception.</summary>
    public PhoenixConnectionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public PhoenixConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PhoenixConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status of the refused upgrade, when known (not in a browser).</summary>
    public int? HttpStatusCode { get; }
}
