using System.Diagnostics;
using Microsoft.Playwright;

namespace Confab.Bench.Web;

/// <summary>
/// One real Chromium page in its own browser context (its own cookies), driven by Playwright: it logs in through the
/// form, opens the room and waits for the composer to be enabled, and sends by setting the composer's text (an input
/// event, as Playwright's fill does) and submitting its form (what room.js does on Enter). Arrival is measured in the
/// page where the driver measures it: when the WebSocket message carrying the render batch reaches the page (a message
/// listener added before blazor.web.js's own, by wrapping <c>WebSocket</c> in an init script), on the page's clock
/// (<c>performance.timeOrigin + performance.now()</c>), as is the send time. The driver polls each page for its
/// arrivals once a second. The DevTools protocol's WebSocket frame events time the same delivery a second way, on one
/// clock for all pages, from the input event's frame to the batch's frame; Blink emits them as its renderer's main
/// thread handles each frame, so a busy renderer delays them as it delays the page's own listener.
/// </summary>
internal sealed class ChromiumSession(ChromiumBrowser browser, WebStats stats, int index, int room, string username, string roomSlug) : IBrowserSession
{
    // Records [number, time] for the first arrival of each message marker, from every WebSocket message (binary: the
    // circuit's render batches; text: the Phoenix socket's frames, when the page runs on WebAssembly); reset once the
    // page is open (the room's history may hold markers of earlier sessions).
    private const string ArrivalScript = """
        (() => {
          const arrivals = [];
          const seen = new Set();
          const encoder = new TextEncoder();
          const marker = Array.from(encoder.encode("web-msg-"));
          window.__confabArrivals = arrivals;
          window.__confabReset = () => { arrivals.length = 0; seen.clear(); };
          function scan(bytes, at) {
            outer: for (let i = 0; i + marker.length <= bytes.length; i++) {
              for (let j = 0; j < marker.length; j++) if (bytes[i + j] !== marker[j]) continue outer;
              let k = i + marker.length, n = 0;
              while (k < bytes.length && bytes[k] >= 48 && bytes[k] <= 57) n = n * 10 + (bytes[k++] - 48);
              if (k > i + marker.length && !seen.has(n)) { seen.add(n); arrivals.push([n, at]); }
              i = k - 1;
            }
          }
          const Native = window.WebSocket;
          window.WebSocket = class extends Native {
            constructor(...args) {
              super(...args);
              this.addEventListener("message", (event) => {
                const at = performance.timeOrigin + performance.now();
                if (event.data instanceof ArrayBuffer) scan(new Uint8Array(event.data), at);
                else if (typeof event.data === "string") scan(encoder.encode(event.data), at);
              });
            }
          };
        })();
        """;

    // Types the whole text (one input event) and submits the form as room.js does on Enter; returns the send time.
    private const string SendScript = """
        (text) => {
          const composer = document.getElementById("composer-input");
          const at = performance.timeOrigin + performance.now();
          composer.value = text;
          composer.dispatchEvent(new Event("input", { bubbles: true }));
          composer.form.requestSubmit();
          return at;
        }
        """;

    private readonly MessageArrivals arrivals = new(stats);
    private readonly List<(long Number, long At, int Polls)> pending = [];
    private readonly CancellationTokenSource stop = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(long Number, long At)> networkArrivals = new();
    private readonly List<(long Number, long At, int Polls)> networkPending = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte> networkSeen = new();
    private IBrowserContext? context;
    private IPage? page;
    private Task? collecting;
    private int closed;

    public int Room { get; } = room;

    public bool IsOpen { get; private set; }

    public async Task<bool> OpenAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        string step = "log-in page";
        try
        {
            context = await browser.NewContextAsync();
            await context.AddInitScriptAsync(ArrivalScript);
            page = await context.NewPageAsync();
            page.WebSocket += (_, socket) => socket.Close += (_, _) => OnSocketClosed();
            var devtools = await context.NewCDPSessionAsync(page);
            devtools.Event("Network.webSocketFrameReceived").OnEvent += (_, frame) => OnNetworkFrame(frame, received: true);
            devtools.Event("Network.webSocketFrameSent").OnEvent += (_, frame) => OnNetworkFrame(frame, received: false);
            await devtools.SendAsync("Network.enable");
            await page.GotoAsync("/login");
            await page.GetByLabel("Username or email").FillAsync(username);
            await page.GetByLabel("Password").FillAsync(Load.LoadDatabase.Password);
            step = "log-in";
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await page.WaitForURLAsync("**/rooms");
            step = "room page";
            await page.GotoAsync("/rooms/" + roomSlug);
            await page.Locator("#composer-input:not([disabled])").WaitForAsync(new() { Timeout = 60_000 });
            await page.EvaluateAsync("() => window.__confabReset()");
            IsOpen = true;
            stats.Open.RecordSince(started, Stopwatch.GetTimestamp());
            collecting = Task.Run(CollectAsync, CancellationToken.None);
            return true;
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            stats.OpenFailed($"chromium {step} (session {index}): {e.Message.Split('\n')[0]}");
            return false;
        }
    }

    public async Task SendAsync(long number, int receivers)
    {
        if (!IsOpen || page is null)
        {
            stats.SendFailed();
            return;
        }

        arrivals.Sending(number);
        try
        {
            double at = await page.EvaluateAsync<double>(SendScript, SessionContext.MessageText(number, username));
            stats.Sent(number, (long)(at * 1000), receivers);
        }
        catch (PlaywrightException)
        {
            stats.SendFailed();
        }
    }

    /// <summary>The page keeps its own connection alive.</summary>
    public void KeepAlive(long now)
    {
    }

    public async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref closed, 1) == 1)
        {
            return;
        }

        IsOpen = false;
        await stop.CancelAsync();
        if (collecting is not null)
        {
            await collecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (page is not null && context is not null)
        {
            try
            {
                // Leaving the page fires pagehide: blazor.web.js beacons /_blazor/disconnect, as when a tab closes.
                await page.GotoAsync("about:blank");
                await context.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // The browser is already gone.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        stop.Dispose();
    }

    // A WebSocket frame as DevTools reports it: {"timestamp": seconds (monotonic), "response": {"opcode": 2,
    // "payloadData": base64}}. Frames this page sends carry its input events' text; frames it receives, the batches.
    private void OnNetworkFrame(System.Text.Json.JsonElement? frame, bool received)
    {
        if (!IsOpen || frame is not { } data || !data.TryGetProperty("response", out var response)
            || !response.TryGetProperty("payloadData", out var payload) || !data.TryGetProperty("timestamp", out var timestamp))
        {
            return;
        }

        long at = (long)(timestamp.GetDouble() * 1_000_000);
        byte[] bytes = response.TryGetProperty("opcode", out var opcode) && opcode.GetInt32() == 2
            ? Convert.FromBase64String(payload.GetString() ?? "")
            : System.Text.Encoding.UTF8.GetBytes(payload.GetString() ?? "");
        var found = new List<long>();
        SessionContext.FindMarkers(bytes, found);
        foreach (long number in found)
        {
            bool own = arrivals.IsMine(number);
            if (!received && own)
            {
                stats.SentAtNetwork(number, at);
            }
            else if (received && !own && networkSeen.TryAdd(number, 0))
            {
                networkArrivals.Enqueue((number, at));
            }
        }
    }

    private void OnSocketClosed()
    {
        if (IsOpen && Volatile.Read(ref closed) == 0)
        {
            IsOpen = false;
            stats.CircuitLost(null);
        }
    }

    private async Task CollectAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await CollectOnceAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Closing; the last arrivals are taken below.
        }

        await CollectOnceAsync();
    }

    private async Task CollectOnceAsync()
    {
        double[][] arrivals;
        try
        {
            arrivals = await page!.EvaluateAsync<double[][]>("() => window.__confabArrivals.splice(0)");
        }
        catch (PlaywrightException)
        {
            return;
        }

        foreach (var arrival in arrivals)
        {
            pending.Add(((long)arrival[0], (long)(arrival[1] * 1000), 0));
        }

        while (networkArrivals.TryDequeue(out var arrival))
        {
            networkPending.Add((arrival.Number, arrival.At, 0));
        }

        networkPending.RemoveAll(arrival =>
        {
            if (!stats.IsSentAtNetwork(arrival.Number) || !stats.IsSent(arrival.Number))
            {
                return false;
            }

            stats.DeliveredAtNetwork(arrival.Number, arrival.At);
            return true;
        });
        for (int i = 0; i < networkPending.Count; i++)
        {
            networkPending[i] = networkPending[i] with { Polls = networkPending[i].Polls + 1 };
        }

        networkPending.RemoveAll(arrival => arrival.Polls > 120);

        // An arrival can be read before its sender's send time came back from the sender's page (a busy browser takes
        // seconds): kept for up to two minutes of polls.
        pending.RemoveAll(Record);
        for (int i = 0; i < pending.Count; i++)
        {
            pending[i] = pending[i] with { Polls = pending[i].Polls + 1 };
        }

        pending.RemoveAll(arrival => arrival.Polls > 120);
    }

    private bool Record((long Number, long At, int Polls) arrival)
    {
        if (!stats.IsSent(arrival.Number))
        {
            return false;
        }

        arrivals.Count(arrival.Number, arrival.At);
        return true;
    }
}
