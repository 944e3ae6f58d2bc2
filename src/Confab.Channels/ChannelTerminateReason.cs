namespace Confab.Channels;

/// <summary>Why a joined channel ends; passed to <see cref="Channel.TerminateAsync"/>.</summary>
public enum ChannelTerminateReason
{
    /// <summary>The client left the topic (<c>phx_leave</c>); the client got an ok reply and <c>phx_close</c>.</summary>
    Leave,

    /// <summary>The socket closed or was lost; no frame can reach the client any more.</summary>
    Closed,

    /// <summary>The same socket joined the topic again; the new join replaces this channel.</summary>
    DuplicateJoin,

    /// <summary>The channel called <see cref="ChannelContext.Stop"/>; the client got <c>phx_close</c>.</summary>
    Stopped,

    /// <summary>The server is shutting down; the socket is closed with 1001 so the client reconnects elsewhere.</summary>
    ServerShutdown,

    /// <summary>A callback of the channel threw; the client got <c>phx_error</c> and will rejoin.</summary>
    Crash,
}
