namespace Confab.Channels.Client;

/// <summary>A channel's state, as phoenix.js's.</summary>
public enum PhoenixChannelState
{
    /// <summary>Not joined yet, or left, or closed by the server (<c>phx_close</c>): it will not rejoin.</summary>
    Closed,

    /// <summary>A join was sent; waiting for its reply.</summary>
    Joining,

    /// <summary>Joined: pushes are sent at once.</summary>
    Joined,

    /// <summary>A leave was sent; waiting for its reply. Events are no longer delivered.</summary>
    Leaving,

    /// <summary>The join failed, timed out or crashed, or the connection was lost: it will rejoin.</summary>
    Errored,
}
