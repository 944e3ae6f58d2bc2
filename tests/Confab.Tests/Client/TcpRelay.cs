using System.Net;
using System.Net.Sockets;

namespace Confab.Tests.Client;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server, to stand for a network that stalls: <see cref="HoldReplies"/> stops
/// passing the server's bytes to clients (they are kept, not dropped) until <see cref="Release"/>. Sockets stay real.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile TaskCompletionSource? _held;

    public TcpRelay(Uri target)
    {
        _target = target;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients connect: the relay, which forwards to the target.</summary>
    public Uri Address { get; }

    public void HoldReplies() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Release();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            // Either side closing ends both.
            await Task.WhenAny(
                PumpAsync(client.GetStream(), server.GetStream(), fromServer: false, ended.Token),
                PumpAsync(server.GetStream(), client.GetStream(), fromServer: true, ended.Token));
            await ended.CancelAsync();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool fromServer, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (fromServer && _held is { } held)
                {
                    await held.Task.WaitAsync(cancellationToken);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // A side went away: the relay of this connection ends.
        }
    }
}
