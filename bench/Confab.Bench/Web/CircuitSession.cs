using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// One browser session on the room page without a browser: it signs in through the log-in form, loads the prerendered
/// room page, and opens a Blazor circuit over a real WebSocket the way blazor.web.js (.NET 10) does (see
/// <see cref="CircuitProtocol"/>): it acknowledges every render batch, answers the page's JS interop calls, pings when
/// it has sent nothing for 15 s, and sends a message through the page's own events (the composer's input event with
/// the text, then the form's submit). Each batch's string table is searched for message markers: a message from
/// another session counts as delivered, its own as echoed.
/// </summary>
internal sealed class CircuitSession : IBrowserSession
{
    private const string Password = "load-password";
    private static readonly long PingEvery = Stopwatch.Frequency * 15;
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly SessionContext context;
    private readonly Composer composer = new();
    private readonly List<long> found = [];
    private readonly HashSet<long> seen = [];
    private readonly HashSet<long> mine = [];
    private readonly TaskCompletionSource<bool> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string?> circuitStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CookieJar? cookies;
    private WireSocket? wire;
    private Task? receiving;
    private string? circuitId;
    private bool handshakeDone;
    private int jsObjects;
    private long dotNetCalls;
    private long lastSentAt;
    private int lost;

    public CircuitSession(SessionContext context, int index, int room, string username)
    {
        this.context = context;
        Index = index;
        Room = room;
        Username = username;
    }

    public int Index { get; }

    public int Room { get; }

    public string Username { get; }

    public bool IsOpen { get; private set; }

    public async Task<bool> OpenAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(context.OpenTimeout);
        string step = "sign-in";
        try
        {
            cookies = await context.Pages.SignInAsync(Username, Password, deadline.Token);
            step = "room page";
            var page = await context.Pages.GetRoomAsync(context.RoomSlug(Room), cookies, deadline.Token);
            step = "negotiate";
            string token = await context.Pages.NegotiateAsync(cookies, deadline.Token);
            step = "websocket";
            wire = await WireSocket.ConnectAsync(
                context.Server, context.Source(Index), "/_blazor?id=" + Uri.EscapeDataString(token), deadline.Token, $"Cookie: {cookies.Header()}\r\n");
            wire.OnBinary = OnBinary;
            receiving = ReceiveAsync(wire);
            wire.SendText(BlazorPack.Handshake);
            step = "StartCircuit";
            var uri = new Uri(context.Pages.BaseUrl, "/rooms/" + context.RoomSlug(Room));
            Send(CircuitProtocol.StartCircuit(context.Pages.BaseUrl, uri, page));
            circuitId = await circuitStarted.Task.WaitAsync(deadline.Token);
            if (circuitId is null)
            {
                throw new InvalidOperationException("StartCircuit returned no circuit id");
            }

            Send(CircuitProtocol.UpdateRootComponents(page));
            step = "first render";
            await ready.Task.WaitAsync(deadline.Token);
            IsOpen = true;
            context.Stats.Open.RecordSince(started, Stopwatch.GetTimestamp());
            return true;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or System.Net.Sockets.SocketException or OperationCanceledException
            or InvalidOperationException or InvalidDataException or JsonException)
        {
            context.Stats.OpenFailed($"{step}: {e.GetType().Name}: {e.Message}");
            Interlocked.Exchange(ref wire, null)?.Dispose();
            return false;
        }
    }

    /// <summary>Types the text into the composer (one input event, as a paste or Playwright's fill would) and submits the form.</summary>
    public Task SendAsync(long number, int receivers)
    {
        if (!IsOpen || !composer.Ready)
        {
            context.Stats.SendFailed();
            return Task.CompletedTask;
        }

        string text = SessionContext.MessageText(number, Username);
        lock (mine)
        {
            mine.Add(number);
        }

        context.Stats.Sent(number, Now(), receivers);
        Send(CircuitProtocol.Input(composer, Interlocked.Increment(ref dotNetCalls), text));
        Send(CircuitProtocol.Submit(composer, Interlocked.Increment(ref dotNetCalls)));
        return Task.CompletedTask;
    }

    /// <summary>Sends SignalR's ping when nothing was sent for 15 s, as the JavaScript client does.</summary>
    public void PingIfIdle(long now)
    {
        if (IsOpen && now - Volatile.Read(ref lastSentAt) >= PingEvery)
        {
            TrySend(BlazorPack.PingMessage);
        }
    }

    /// <summary>Leaves as a closing tab does: the circuit is disposed at once (blazor.web.js's beacon to /_blazor/disconnect), then the socket closes.</summary>
    public async Task CloseAsync()
    {
        IsOpen = false;
        Interlocked.Exchange(ref lost, 1);
        if (circuitId is not null && cookies is not null)
        {
            try
            {
                await context.Pages.DisconnectAsync(circuitId, cookies, CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                // The server may already be gone; the socket's close ends the circuit too, after its retention period.
            }
        }

        try
        {
            wire?.SendClose();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        if (receiving is not null)
        {
            await receiving.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        Interlocked.Exchange(ref wire, null)?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref wire, null)?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static long Now() => (long)(Stopwatch.GetTimestamp() * MicrosPerTick);

    private async Task ReceiveAsync(WireSocket socket)
    {
        await Task.Yield();
        await socket.ReceiveAsync(CancellationToken.None);
        Lose(null);
    }

    private void Lose(string? error)
    {
        circuitStarted.TrySetResult(null);
        ready.TrySetException(new IOException(error ?? "the connection closed"));
        if (Interlocked.Exchange(ref lost, 1) == 0 && IsOpen)
        {
            IsOpen = false;
            context.Stats.CircuitLost(error);
        }
    }

    private void OnBinary(ReadOnlySpan<byte> data)
    {
        if (!handshakeDone)
        {
            // The handshake's answer, "{}" and the record separator (an error would say why), may share the frame.
            int end = data.IndexOf((byte)0x1E);
            if (end < 0 || !data[..end].SequenceEqual("{}"u8))
            {
                Lose("handshake refused: " + Encoding.UTF8.GetString(data[..Math.Max(0, end)]));
                return;
            }

            handshakeDone = true;
            TrySend(BlazorPack.PingMessage); // as the JavaScript client does once the handshake is answered
            data = data[(end + 1)..];
        }

        if (!BlazorPack.ForEachMessage(data, this, static (session, message) => session.OnMessage(message)))
        {
            Lose("a message ran past its frame");
        }
    }

    private void OnMessage(ReadOnlySpan<byte> message)
    {
        var reader = new PackReader(message);
        reader.ArrayHeader();
        switch (reader.Integer())
        {
            case BlazorPack.Invocation:
                reader.Skip(); // headers
                reader.Skip(); // invocation id: the server awaits no result from what the room page asks
                OnInvocation(ref reader, reader.StringBytes());
                break;
            case BlazorPack.Completion:
                reader.Skip();
                reader.Skip(); // the one invocation this session awaits is StartCircuit's
                long kind = reader.Integer();
                circuitStarted.TrySetResult(kind == 3 ? reader.String() : null);
                break;
            case BlazorPack.Close:
                Lose(reader.String() ?? "closed by the server");
                break;
        }
    }

    private void OnInvocation(ref PackReader reader, ReadOnlySpan<byte> target)
    {
        reader.ArrayHeader();
        if (target.SequenceEqual("JS.RenderBatch"u8))
        {
            long batchId = reader.Integer();
            OnRenderBatch(reader.Binary());
            Send(CircuitProtocol.RenderCompleted(batchId));
        }
        else if (target.SequenceEqual("JS.BeginInvokeJS"u8))
        {
            long handle = reader.Integer();
            string identifier = reader.String() ?? "";
            string arguments = reader.String() ?? "";
            long resultType = reader.Integer();
            context.Stats.InteropCall();
            if (identifier == "Blazor._internal.attachWebRendererInterop")
            {
                composer.RendererInterop = CircuitProtocol.DotNetObjectId(arguments);
            }

            if (handle != 0)
            {
                Send(CircuitProtocol.EndInvokeJS(handle, Answer(identifier, resultType)));
            }
        }
        else if (target.SequenceEqual("JS.Error"u8))
        {
            Lose(reader.String() ?? "JS.Error");
        }
    }

    // What room.js and the browser answer: an imported module is a JS object reference, init returns the time zone.
    private string Answer(string identifier, long resultType) => identifier switch
    {
        _ when resultType == CircuitProtocol.JSObjectReference =>
            "{\"__jsObjectId\":" + Interlocked.Increment(ref jsObjects).ToString(CultureInfo.InvariantCulture) + "}",
        "init" => "\"UTC\"",
        _ => "null",
    };

    private void OnRenderBatch(ReadOnlySpan<byte> batch)
    {
        long now = Now();
        context.Stats.RenderBatch(batch.Length);
        var reader = new RenderBatchReader(batch);
        reader.FollowComposer(composer);
        found.Clear();
        if (IsOpen)
        {
            // Not before: the first batches show the room's history, which may hold markers of earlier sessions.
            reader.FindMarkers(SessionContext.Marker, found);
        }

        foreach (long number in found)
        {
            if (!seen.Add(number))
            {
                continue;
            }

            bool own;
            lock (mine)
            {
                own = mine.Contains(number);
            }

            if (own)
            {
                context.Stats.Echoed(number, now);
            }
            else
            {
                context.Stats.Delivered(number, now);
            }
        }

        if (composer.Ready)
        {
            ready.TrySetResult(true);
        }
    }

    private void Send(ArrayBufferWriter<byte> message)
    {
        TrySend(message.WrittenSpan);
    }

    private void TrySend(ReadOnlySpan<byte> message)
    {
        try
        {
            wire?.SendBinary(message);
            Volatile.Write(ref lastSentAt, Stopwatch.GetTimestamp());
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            context.Stats.SendFailed();
        }
    }
}

/// <summary>What every session of a run shares: the server, the page requests, the stats, and how messages are marked.</summary>
internal sealed class SessionContext(PageRequests pages, IPEndPoint server, int sources, WebStats stats, Func<int, string> roomSlug)
{
    public const string MarkerText = "web-msg-";

    public PageRequests Pages { get; } = pages;

    public IPEndPoint Server { get; } = server;

    public WebStats Stats { get; } = stats;

    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public static ReadOnlySpan<byte> Marker => "web-msg-"u8;

    public string RoomSlug(int room) => roomSlug(room);

    public IPAddress Source(int index) => new([127, 0, 0, (byte)(1 + (index % sources))]);

    /// <summary>A message's text: its marker and number, which every receiver finds in its render batch, then who sent it.</summary>
    public static string MessageText(long number, string username) =>
        MarkerText + number.ToString(CultureInfo.InvariantCulture) + " from " + username;
}
