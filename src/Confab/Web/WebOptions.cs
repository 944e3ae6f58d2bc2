namespace Confab.Web;

/// <summary>The web UI (<c>Confab:Web</c>).</summary>
public sealed class WebOptions
{
    public const string Section = "Confab:Web";

    /// <summary>
    /// Where the room page runs once the server has prerendered it: <see cref="RoomRenderMode.Server"/> (Blazor Server: a
    /// circuit per open page, about 190 KiB of server memory each) or <see cref="RoomRenderMode.WebAssembly"/> (in the
    /// browser, on the Phoenix socket: what a socket costs). README, "Sizing".
    /// </summary>
    public RoomRenderMode RoomRenderMode { get; set; } = RoomRenderMode.Server;
}

public enum RoomRenderMode
{
    Server,
    WebAssembly,
}
