using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// One browser session on the room page in WebAssembly mode (<c>Confab:Web:RoomRenderMode=WebAssembly</c>) without a
/// browser. It signs in through the log-in form and loads the prerendered room page as <see cref="CircuitSession"/>
/// does (<see cref="DriverSession"/>), reads what the page's WebAssembly code starts from (the reader's socket token,
/// the <c>SocketToken</c> parameter of the <c>RoomView</c> component marker; the newest event of the prerendered
/// history, <c>last_seq</c> in the persisted state <c>confab.room</c>), then does on the Phoenix socket what the page's
/// <c>SocketRoomLink</c> does: connects with the token (with the page's cookie and origin, as a browser's upgrade
/// carries them), joins <c>room:&lt;slug&gt;</c> with <c>{"last_seq": N}</c>, heartbeats every 30 s, and sends as the
/// composer does: <c>typing</c> <c>{}</c> (at most one a second), then <c>new_message</c> with the text and a fresh
/// <c>client_id</c>. Each <c>new_message</c> broadcast is searched for message markers: a message from another session
/// counts as delivered, its own as echoed (the page shows its own message from the broadcast too). Frames are written
/// and scanned as the socket load generator's are (<see cref="PhoenixFrames"/>, <see cref="FrameScan"/>). The page's
/// WebAssembly files are not fetched: a browser has them cached after its first visit. A socket or channel the server
/// ends counts the session lost (the page would reconnect and rejoin; the driver does not).
/// </summary>
internal sealed class SocketPageSession(SessionContext context, int index, int room, string username)
    : DriverSession(context, index, room, username)
{
    // The key the room page persists its prerendered history under (RoomView's PrerenderedKey).
    private const string PrerenderedKey = "confab.room";
    private static readonly long HeartbeatEvery = Stopwatch.Frequency * 30;
    private static readonly long TypingEvery = Stopwatch.Frequency;

    private readonly List<long> found = [];
    private readonly byte[] topic = Encoding.UTF8.GetBytes("room:" + context.RoomSlug(room));
    private readonly TaskCompletionSource<string?> joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextRef;
    private long joinRef;
    private long heartbeatAt;
    private long typedAt;

    protected override PageMode Mode => PageMode.WebAssembly;

    /// <summary>Types the text into the composer (a typing notice, as the page's input handler pushes it) and sends it.</summary>
    protected override void Type(string text)
    {
        long now = Stopwatch.GetTimestamp();
        if (now - Volatile.Read(ref typedAt) >= TypingEvery)
        {
            Volatile.Write(ref typedAt, now);
            Push(NextRef(), "typing"u8, "{}"u8);
        }

        // The page's client_id: a fresh GUID's 32 hex digits (the same one again only when it resends an unsaved post).
        byte[] payload = Encoding.UTF8.GetBytes($"{{\"content\":{JsonSerializer.Serialize(text)},\"client_id\":\"{Guid.NewGuid():N}\"}}");
        Push(NextRef(), "new_message"u8, payload);
    }

    /// <summary>Phoenix's heartbeat every 30 s from the socket's opening, as phoenix.js and the page's client send it.</summary>
    public override void KeepAlive(long now)
    {
        if (IsOpen && now - Volatile.Read(ref heartbeatAt) >= HeartbeatEvery)
        {
            Volatile.Write(ref heartbeatAt, now);
            Span<byte> frame = stackalloc byte[64];
            TrySend(frame[..PhoenixFrames.Heartbeat(frame, NextRef())], binary: false);
        }
    }

    protected override async Task StartAsync(RoomPageMarkers page, CookieJar cookies, CancellationToken cancellationToken)
    {
        string token = page.Parameter("SocketToken") is { ValueKind: JsonValueKind.String } given
            ? given.GetString()!
            : throw new InvalidDataException("the RoomView marker has no SocketToken parameter");
        long? lastSeq = LastSeq(page);
        string origin = Context.Pages.BaseUrl.GetLeftPart(UriPartial.Authority);
        await ConnectAsync(PhoenixFrames.SocketPath(token), $"Cookie: {cookies.Header()}\r\nOrigin: {origin}\r\n", OnText, onBinary: null, cancellationToken);
        Volatile.Write(ref heartbeatAt, Stopwatch.GetTimestamp());
        Step = "join";
        joinRef = NextRef();
        Push(joinRef, "phx_join"u8, lastSeq is { } seq ? Encoding.UTF8.GetBytes($"{{\"last_seq\":{seq}}}") : "{}"u8);
        if (await joined.Task.WaitAsync(cancellationToken) is { } refused)
        {
            throw new InvalidOperationException("join refused: " + refused);
        }
    }

    protected override void Interrupt(string reason) => joined.TrySetResult(reason);

    // The newest event seq of the prerendered history: the persisted state's value is the page's snapshot as Blazor
    // writes it, {"messages": {...}, "lastSeq": N}.
    private static long? LastSeq(RoomPageMarkers page)
    {
        if (page.PersistedValue(PrerenderedKey) is not { } persisted)
        {
            return null; // no persisted history: the page joins with {} and takes the newest page from the reply
        }

        using var latest = JsonDocument.Parse(persisted);
        return latest.RootElement.GetProperty("lastSeq").GetInt64();
    }

    private long NextRef() => Interlocked.Increment(ref nextRef);

    private void OnText(ReadOnlySpan<byte> frame)
    {
        long now = Now();
        Context.Stats.RenderBatch(frame.Length);
        switch (FrameScan.Read(frame, out long reference, out var payload))
        {
            case FrameKind.NewMessage when IsOpen:
                found.Clear();
                SessionContext.FindMarkers(payload, found);
                Arrivals.Saw(found, now);
                break;
            case FrameKind.Reply when reference == joinRef:
                joined.TrySetResult(FrameScan.IsOk(payload) ? null : Encoding.UTF8.GetString(payload));
                break;
            case FrameKind.Reply when !FrameScan.IsOk(payload):
                Context.Stats.SendFailed(); // a post refused (typing has no reply, and a heartbeat's is ok)
                break;
            case FrameKind.ChannelClosed:
                Lose("the server ended the channel: " + Encoding.UTF8.GetString(frame[..Math.Min(frame.Length, 200)]));
                break;
        }
    }

    private void Push(long reference, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> payload)
    {
        Span<byte> frame = stackalloc byte[PhoenixFrames.MaxLength(topic, @event, payload)];
        TrySend(frame[..PhoenixFrames.Push(frame, joinRef, reference, topic, @event, payload)], binary: false);
    }
}
