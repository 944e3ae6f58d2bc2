namespace Confab.Bench.Web;

/// <summary>
/// One person on the room page, as the run drives them: the driver's <see cref="CircuitSession"/> (the page on a Blazor
/// Server circuit) or <see cref="SocketPageSession"/> (the page on WebAssembly, over the Phoenix socket), or a real
/// Chromium page (<see cref="ChromiumSession"/>) to check the driver against. All sign in, open the room, send through
/// the composer and record what arrives into the same <see cref="WebStats"/>.
/// </summary>
internal interface IBrowserSession : IAsyncDisposable
{
    int Room { get; }

    bool IsOpen { get; }

    /// <summary>Signs in and opens the room until the composer can be typed into; false (counted) when that fails.</summary>
    Task<bool> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Types message <paramref name="number"/> into the composer and sends it; <paramref name="receivers"/> others should see it.</summary>
    Task SendAsync(long number, int receivers);

    /// <summary>Called about once a second: sends what keeps the page's connection alive when it is due (<paramref name="now"/>: a Stopwatch timestamp).</summary>
    void KeepAlive(long now);

    /// <summary>Leaves the page as a closing tab does.</summary>
    Task CloseAsync();
}
