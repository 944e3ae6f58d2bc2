using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// What the driver's browser sessions share, whichever way the server runs the room page: the session's own user signed
/// in through the log-in form, the prerendered room page read for the page's mode, then one raw WebSocket
/// (<see cref="WireSocket"/>) from the session's own source address, which the page's kind of session speaks
/// (<see cref="StartAsync"/>) until the page is live. The session counts as lost once, when the server ends what it
/// opened, and leaves as a closing tab does. Arrivals of marked messages are recorded through <see cref="Arrivals"/>.
/// </summary>
internal abstract class DriverSession : IBrowserSession
{
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private WireSocket? wire;
    private Task? receiving;
    private int lost;

    protected DriverSession(SessionContext context, int index, int room, string username)
    {
        Context = context;
        Arrivals = new MessageArrivals(context.Stats);
        Index = index;
        Room = room;
        Username = username;
    }

    public int Index { get; }

    public int Room { get; }

    public string Username { get; }

    public bool IsOpen { get; private set; }

    protected SessionContext Context { get; }

    protected MessageArrivals Arrivals { get; }

    /// <summary>The session's cookies once signed in.</summary>
    protected CookieJar? Cookies { get; private set; }

    /// <summary>What opening is doing now, for the failure's message.</summary>
    protected string Step { get; set; } = "";

    /// <summary>How the server runs the room page this session drives.</summary>
    protected abstract PageMode Mode { get; }

    public async Task<bool> OpenAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Context.OpenTimeout);
        try
        {
            Step = "sign-in";
            Cookies = await Context.Pages.SignInAsync(Username, LoadDatabase.Password, deadline.Token);
            Step = "room page";
            var page = await Context.Pages.GetRoomAsync(Context.RoomSlug(Room), Cookies, Mode, deadline.Token);
            await StartAsync(page, Cookies, deadline.Token);
            IsOpen = true;
            Context.Stats.Open.RecordSince(started, Stopwatch.GetTimestamp());
            return true;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or SocketException or OperationCanceledException
            or InvalidOperationException or InvalidDataException or JsonException or FormatException or KeyNotFoundException)
        {
            Context.Stats.OpenFailed($"{Step}: {e.GetType().Name}: {e.Message}");
            Interlocked.Exchange(ref lost, 1);
            Interlocked.Exchange(ref wire, null)?.Dispose();
            return false;
        }
    }

    /// <summary>
    /// Sends message <paramref name="number"/> as the page's composer does (<see cref="Type"/>), recorded as sent now
    /// to <paramref name="receivers"/>; a send failure when the page cannot send.
    /// </summary>
    public Task SendAsync(long number, int receivers)
    {
        if (!IsOpen || !CanType)
        {
            Context.Stats.SendFailed();
            return Task.CompletedTask;
        }

        Arrivals.Sending(number);
        Context.Stats.Sent(number, Now(), receivers);
        Type(SessionContext.MessageText(number, Username));
        return Task.CompletedTask;
    }

    public abstract void KeepAlive(long now);

    /// <summary>Leaves as a closing tab does: <see cref="LeavingAsync"/>, then the socket closes.</summary>
    public async Task CloseAsync()
    {
        IsOpen = false;
        Interlocked.Exchange(ref lost, 1);
        await LeavingAsync();
        if (wire is { } open)
        {
            await open.CloseAsync(receiving, TimeSpan.FromSeconds(5));
        }

        Interlocked.Exchange(ref wire, null)?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref wire, null)?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Microseconds on the run's clock (<see cref="WebStats"/>).</summary>
    protected static long Now() => (long)(Stopwatch.GetTimestamp() * MicrosPerTick);

    /// <summary>From the prerendered <paramref name="page"/>: connects (<see cref="ConnectAsync"/>) and waits until the page is live; throws to fail.</summary>
    protected abstract Task StartAsync(RoomPageMarkers page, CookieJar cookies, CancellationToken cancellationToken);

    /// <summary>Whether the composer takes text now (the page is open).</summary>
    protected virtual bool CanType => true;

    /// <summary>Types <paramref name="text"/> into the composer and sends it, as the page does.</summary>
    protected abstract void Type(string text);

    /// <summary>What a closing tab does before its socket closes.</summary>
    protected virtual Task LeavingAsync() => Task.CompletedTask;

    /// <summary>The connection ended while opening: whatever <see cref="StartAsync"/> waits for is given up.</summary>
    protected abstract void Interrupt(string reason);

    /// <summary>Opens the session's WebSocket (<paramref name="headers"/>: whole lines) and starts receiving into the handlers.</summary>
    protected async Task ConnectAsync(
        string pathAndQuery, string headers, Action<ReadOnlySpan<byte>>? onText, Action<ReadOnlySpan<byte>>? onBinary, CancellationToken cancellationToken)
    {
        Step = "websocket";
        var socket = await WireSocket.ConnectAsync(Context.Server, Context.Source(Index), pathAndQuery, cancellationToken, headers);
        socket.OnText = onText;
        socket.OnBinary = onBinary;
        wire = socket;
        receiving = ReceiveAsync(socket);
    }

    /// <summary>Sends one message (binary or text); false, counted as a send failure, when the socket is gone.</summary>
    protected bool TrySend(ReadOnlySpan<byte> message, bool binary)
    {
        try
        {
            if (wire is not { } open)
            {
                return false;
            }

            if (binary)
            {
                open.SendBinary(message);
            }
            else
            {
                open.SendText(message);
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Context.Stats.SendFailed();
            return false;
        }
    }

    /// <summary>The server ended the session's connection or what runs on it (<paramref name="error"/> says why, if it said): lost, counted once.</summary>
    protected void Lose(string? error)
    {
        Interrupt(error ?? "the connection closed");
        if (Interlocked.Exchange(ref lost, 1) == 0 && IsOpen)
        {
            IsOpen = false;
            Context.Stats.CircuitLost(error);
        }
    }

    private async Task ReceiveAsync(WireSocket socket)
    {
        await Task.Yield();
        await socket.ReceiveAsync(CancellationToken.None);
        Lose(null);
    }
}
