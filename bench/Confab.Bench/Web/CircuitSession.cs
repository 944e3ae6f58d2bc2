using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Confab.Bench.Web;

/// <summary>
/// One browser session on the room page in Server mode (the default <c>Confab:Web:RoomRenderMode</c>) without a
/// browser: it signs in through the log-in form, loads the prerendered room page (<see cref="DriverSession"/>), and
/// opens a Blazor circuit over a real WebSocket the way blazor.web.js (.NET 10) does (see
/// <see cref="CircuitProtocol"/>): it acknowledges every render batch, answers the page's JS interop calls, pings when
/// it has sent nothing for 15 s, and sends a message through the page's own events (the composer's input event with
/// the text, then the form's submit). Each batch's string table is searched for message markers: a message from
/// another session counts as delivered, its own as echoed.
/// </summary>
internal sealed class CircuitSession(SessionContext context, int index, int room, string username)
    : DriverSession(context, index, room, username)
{
    private static readonly long PingEvery = Stopwatch.Frequency * 15;

    private readonly Composer composer = new();
    private readonly List<long> found = [];
    private readonly TaskCompletionSource<bool> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string?> circuitStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? circuitId;
    private bool handshakeDone;
    private int jsObjects;
    private long dotNetCalls;
    private long lastSentAt;

    protected override PageMode Mode => PageMode.Server;

    protected override bool CanType => composer.Ready;

    /// <summary>Types the text into the composer (one input event, as a paste or Playwright's fill would) and submits the form.</summary>
    protected override void Type(string text)
    {
        Send(CircuitProtocol.Input(composer, Interlocked.Increment(ref dotNetCalls), text));
        Send(CircuitProtocol.Submit(composer, Interlocked.Increment(ref dotNetCalls)));
    }

    /// <summary>Sends SignalR's ping when nothing was sent for 15 s, as the JavaScript client does.</summary>
    public override void KeepAlive(long now)
    {
        if (IsOpen && now - Volatile.Read(ref lastSentAt) >= PingEvery)
        {
            TrySend(BlazorPack.PingMessage);
        }
    }

    protected override async Task StartAsync(RoomPageMarkers page, CookieJar cookies, CancellationToken cancellationToken)
    {
        Step = "negotiate";
        string token = await Context.Pages.NegotiateAsync(cookies, cancellationToken);
        await ConnectAsync("/_blazor?id=" + Uri.EscapeDataString(token), $"Cookie: {cookies.Header()}\r\n", onText: null, OnBinary, cancellationToken);
        TrySend(BlazorPack.Handshake, binary: false);
        Step = "StartCircuit";
        var uri = new Uri(Context.Pages.BaseUrl, "/rooms/" + Context.RoomSlug(Room));
        Send(CircuitProtocol.StartCircuit(Context.Pages.BaseUrl, uri, page));
        circuitId = await circuitStarted.Task.WaitAsync(cancellationToken);
        if (circuitId is null)
        {
            throw new InvalidOperationException("StartCircuit returned no circuit id");
        }

        Send(CircuitProtocol.UpdateRootComponents(page));
        Step = "first render";
        await ready.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The circuit is disposed at once (blazor.web.js's beacon to /_blazor/disconnect on pagehide), before the socket closes.</summary>
    protected override async Task LeavingAsync()
    {
        if (circuitId is not null && Cookies is not null)
        {
            try
            {
                await Context.Pages.DisconnectAsync(circuitId, Cookies, CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                // The server may already be gone; the socket's close ends the circuit too, after its retention period.
            }
        }
    }

    protected override void Interrupt(string reason)
    {
        circuitStarted.TrySetResult(null);
        ready.TrySetException(new IOException(reason));
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
            Context.Stats.InteropCall();
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
        Context.Stats.RenderBatch(batch.Length);
        var reader = new RenderBatchReader(batch);
        reader.FollowComposer(composer);
        found.Clear();
        if (IsOpen)
        {
            // Not before: the first batches show the room's history, which may hold markers of earlier sessions.
            reader.FindMarkers(found);
        }

        Arrivals.Saw(found, now);

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
        if (TrySend(message, binary: true))
        {
            Volatile.Write(ref lastSentAt, Stopwatch.GetTimestamp());
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

    /// <summary>A message's text: its marker and number, which every receiver finds in what reaches it, then who sent it.</summary>
    public static string MessageText(long number, string username) =>
        MarkerText + number.ToString(CultureInfo.InvariantCulture) + " from " + username;

    /// <summary>Adds to <paramref name="numbers"/> the number after each message marker in <paramref name="text"/> (UTF-8).</summary>
    public static void FindMarkers(ReadOnlySpan<byte> text, List<long> numbers)
    {
        int found;
        while ((found = text.IndexOf(Marker)) >= 0)
        {
            text = text[(found + Marker.Length)..];
            if (System.Buffers.Text.Utf8Parser.TryParse(text, out long number, out int used))
            {
                numbers.Add(number);
                text = text[used..];
            }
        }
    }
}
