using System.ComponentModel.DataAnnotations;

namespace Confab.Realtime;

/// <summary>The room channel's limits. Bound from <c>Confab:Realtime</c>.</summary>
public sealed class RealtimeOptions
{
    public const string Section = "Confab:Realtime";

    /// <summary>Messages in a plain join's reply (the newest, oldest first). Default 50.</summary>
    [Range(0, 500, ErrorMessage = "Confab:Realtime:JoinHistory must be between 0 and 500.")]
    public int JoinHistory { get; set; } = 50;

    /// <summary>The most messages a join with <c>last_seq</c> returns; beyond, the reply says <c>"has_more": true</c>. Default 500.</summary>
    [Range(1, 5000, ErrorMessage = "Confab:Realtime:JoinBacklog must be between 1 and 5000.")]
    public int JoinBacklog { get; set; } = 500;

    /// <summary>
    /// Sockets one user may hold open at once (every tab and device counts one); a connect beyond is refused before the
    /// upgrade with 429. Default 50.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:Realtime:MaxSocketsPerUser must be between 1 and 1000000.")]
    public int MaxSocketsPerUser { get; set; } = 50;

    /// <summary>
    /// Sockets one client address may hold open at once, whoever signed in (the address from
    /// <c>Confab:RateLimits:ClientIpHeader</c> when set); a connect beyond is refused before the upgrade with 429. Default 500:
    /// an office behind one NAT address fits, one machine cannot take every connection the process has.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:Realtime:MaxSocketsPerAddress must be between 1 and 1000000.")]
    public int MaxSocketsPerAddress { get; set; } = 500;

    /// <summary>
    /// How long a room event that arrived past a gap waits for the events before it, before they are read from the store
    /// (<see cref="RoomSequencer"/>). Default 200 ms.
    /// </summary>
    public TimeSpan GapTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long an open room page's browser may leave its updates unacknowledged while more arrive, before the page
    /// closes its connection as a socket that stops reading is closed: the browser reconnects and the page catches up
    /// from the database. Default 30 s.
    /// </summary>
    public TimeSpan PageAckTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
