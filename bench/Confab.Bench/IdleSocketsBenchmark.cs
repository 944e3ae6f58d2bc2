using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Confab.Bench;

/// <summary>
/// Memory per connection: starts Confab as its own process (Production, Workstation GC as in the container) on
/// 127.0.0.1, opens N Phoenix sockets, each joined to one of 10 rooms as one of 100 users, keeps them idle (heartbeats
/// only), and reads the server's resident set size (VmRSS) at each step. The per-connection cost is the RSS growth
/// over the sockets added.
/// </summary>
public static class IdleSocketsBenchmark
{
    private const int Users = 100;
    private const int Rooms = 10;

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var count = args.Number("count", 1000);
        var step = args.Number("step", 250);
        var settle = TimeSpan.FromSeconds(args.Number("settle", 10));
        using var server = ConfabProcess.Start();
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
        await server.WaitReadyAsync(http);

        var tokens = await RegisterAsync(http);
        for (var room = 0; room < Rooms; room++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/rooms") { Content = JsonContent.Create(new { name = $"Bench {room}", description = "" }) };
            request.Headers.Authorization = new("Bearer", tokens[0]);
            (await http.SendAsync(request)).EnsureSuccessStatusCode();
        }

        using var stop = new CancellationTokenSource();
        var sockets = new List<IdleSocket>(count);
        // One socket first, so that the baseline includes the code paths a socket warms up (JIT, pools).
        sockets.Add(await IdleSocket.OpenAsync(server.Address, tokens[0], $"room:bench-0", stop.Token));
        await Task.Delay(settle);
        var baseline = server.RssKiB();
        Console.WriteLine($"Idle joined sockets, Confab pid {server.Pid}; RSS after start and one socket: {baseline / 1024.0:F1} MiB");
        Console.WriteLine($"{"sockets",8} {"RSS MiB",9} {"KiB per socket over baseline",30}");
        while (sockets.Count < count)
        {
            var target = Math.Min(count, sockets.Count + step);
            while (sockets.Count < target)
            {
                var i = sockets.Count;
                sockets.Add(await IdleSocket.OpenAsync(server.Address, tokens[i % Users], $"room:bench-{i % Rooms}", stop.Token));
            }

            await Task.Delay(settle);
            var rss = server.RssKiB();
            Console.WriteLine($"{sockets.Count,8} {rss / 1024.0,9:F1} {(rss - baseline) / (double)(sockets.Count - 1),30:F1}");
        }

        var closed = sockets.Count(s => s.Closed);
        Console.WriteLine(closed == 0 ? "all sockets still open" : $"{closed} socket(s) closed by the server during the run");
        await stop.CancelAsync();
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        return closed == 0 ? 0 : 1;
    }

    private static async Task<string[]> RegisterAsync(HttpClient http)
    {
        var tokens = new string[Users];
        for (var u = 0; u < Users; u++)
        {
            var user = new { username = $"bench{u}", email = $"bench{u}@example.com", password = "bench-password" };
            (await http.PostAsJsonAsync("/api/users", user)).EnsureSuccessStatusCode();
            var issued = await http.PostAsJsonAsync("/api/auth/token", new { username = user.username, password = user.password });
            using var body = JsonDocument.Parse(await issued.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
            tokens[u] = body.RootElement.GetProperty("token").GetString()!;
        }

        return tokens;
    }

    /// <summary>A Phoenix V2 socket joined to one topic, draining what it is sent and sending a heartbeat every 20 s.</summary>
    private sealed class IdleSocket : IDisposable
    {
        private readonly ClientWebSocket socket = new();

        public bool Closed { get; private set; }

        public static async Task<IdleSocket> OpenAsync(Uri server, string token, string topic, CancellationToken stop)
        {
            var idle = new IdleSocket();
            var url = new Uri($"ws://{server.Authority}/socket/websocket?vsn=2.0.0&token={Uri.EscapeDataString(token)}");
            await idle.socket.ConnectAsync(url, stop);
            await idle.SendAsync($"[\"1\",\"1\",\"{topic}\",\"phx_join\",{{}}]", stop);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var frame = await idle.ReceiveAsync(buffer, stop);
                if (frame.Contains("\"phx_reply\"", StringComparison.Ordinal))
                {
                    if (!frame.Contains("\"ok\"", StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"join {topic} refused: {frame}");
                    }

                    break;
                }
            }

            _ = Task.Run(() => idle.DrainAsync(buffer, stop), CancellationToken.None);
            _ = Task.Run(() => idle.HeartbeatAsync(stop), CancellationToken.None);
            return idle;
        }

        private async Task DrainAsync(byte[] buffer, CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested && await socket.ReceiveAsync(buffer, stop) is { MessageType: not WebSocketMessageType.Close })
                {
                    // Presence diffs of later joiners: read and dropped, as an idle client does.
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Stopped, or the server went away: Closed says which.
            }

            Closed = !stop.IsCancellationRequested;
        }

        private async Task HeartbeatAsync(CancellationToken stop)
        {
            try
            {
                for (var n = 2; !stop.IsCancellationRequested; n++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(20), stop);
                    await SendAsync($"[null,\"{n}\",\"phoenix\",\"heartbeat\",{{}}]", stop);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                Closed = !stop.IsCancellationRequested;
            }
        }

        private Task SendAsync(string text, CancellationToken stop) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, stop);

        private async Task<string> ReceiveAsync(byte[] buffer, CancellationToken stop)
        {
            var result = await socket.ReceiveAsync(buffer, stop);
            return Encoding.UTF8.GetString(buffer, 0, result.Count);
        }

        public void Dispose() => socket.Dispose();
    }

    /// <summary>Confab.dll from this program's folder, as a child process on a free port of 127.0.0.1.</summary>
    private sealed class ConfabProcess : IDisposable
    {
        private readonly Process process;
        private readonly string folder;

        private ConfabProcess(Process process, Uri address, string folder)
        {
            this.process = process;
            this.folder = folder;
            Address = address;
        }

        public Uri Address { get; }

        public int Pid => process.Id;

        public static ConfabProcess Start()
        {
            var folder = Path.Combine(Path.GetTempPath(), "confab-bench", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
            listener.Stop();
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Confab.dll"));
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(address.ToString());
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["SECRET_KEY_BASE"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            start.Environment["DATABASE_PATH"] = Path.Combine(folder, "confab.db");
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            return new ConfabProcess(Process.Start(start)!, address, folder);
        }

        public async Task WaitReadyAsync(HttpClient http)
        {
            for (var i = 0; i < 300 && !process.HasExited; i++)
            {
                try
                {
                    if ((await http.GetAsync("/readyz")).IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }

                await Task.Delay(100);
            }

            throw new TimeoutException(process.HasExited ? $"Confab exited with code {process.ExitCode}." : "Confab did not become ready in 30 s.");
        }

        /// <summary>The process's resident set size, from /proc/PID/status.</summary>
        public long RssKiB()
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            process.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }
}
