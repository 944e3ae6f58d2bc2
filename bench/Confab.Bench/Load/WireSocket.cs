using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Confab.Bench.Load;

/// <summary>
/// One WebSocket client connection for load generation, on a raw <see cref="Socket"/>: the HTTP/1.1 upgrade by hand,
/// client frames masked with a zero key (legal, and no XOR work), and server frames parsed in place from one receive
/// buffer, so a read that brings ten frames costs one system call and no allocation. Text messages are handed to
/// <see cref="OnText"/>, binary ones (SignalR's MessagePack, for the Blazor driver) to <see cref="OnBinary"/>, as spans
/// that are only valid during the call; a binary message the server fragments is put together first.
/// </summary>
internal sealed class WireSocket : IDisposable
{
    private const int InitialBuffer = 4 * 1024;
    private const int MaxMessage = 16 * 1024 * 1024;

    private readonly Socket socket;
    private readonly Lock sendGate = new();
    private byte[] buffer = [];
    private byte[] fragments = [];
    private int fragmentsLength;
    private int start;
    private int end;
    private int closeSent;

    private WireSocket(Socket socket) => this.socket = socket;

    /// <summary>Called on the receive loop for each complete text message.</summary>
    public Action<ReadOnlySpan<byte>>? OnText { get; set; }

    /// <summary>Called on the receive loop for each complete binary message.</summary>
    public Action<ReadOnlySpan<byte>>? OnBinary { get; set; }

    /// <summary>Frames the server sent that this client does not expect (binary without <see cref="OnBinary"/>, fragmented text).</summary>
    public int UnexpectedFrames { get; private set; }

    /// <summary>
    /// Connects from <paramref name="local"/> (any port) and upgrades <paramref name="pathAndQuery"/> to a WebSocket, sending
    /// <paramref name="headers"/> (whole lines, e.g. <c>Cookie: …</c>) with the upgrade.
    /// </summary>
    public static async Task<WireSocket> ConnectAsync(IPEndPoint server, IPAddress local, string pathAndQuery, CancellationToken cancellationToken, string headers = "")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var wire = new WireSocket(socket);
        try
        {
            // IP_BIND_ADDRESS_NO_PORT (24): pick the port at connect time, per destination, so many local addresses
            // each get the whole ephemeral range.
            socket.SetRawSocketOption(0, 24, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(server, cancellationToken);
            await wire.UpgradeAsync(server, pathAndQuery, headers, cancellationToken);
            return wire;
        }
        catch
        {
            wire.Dispose();
            throw;
        }
    }

    /// <summary>Sends one masked text message; safe from any thread (blocking only while the socket's buffer is full).</summary>
    public void SendText(ReadOnlySpan<byte> payload) => SendFrame(0x1, payload);

    /// <summary>Sends one masked binary message; safe from any thread.</summary>
    public void SendBinary(ReadOnlySpan<byte> payload) => SendFrame(0x2, payload);

    /// <summary>Sends a close frame (1000) once.</summary>
    public void SendClose()
    {
        if (Interlocked.Exchange(ref closeSent, 1) == 0)
        {
            Span<byte> code = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(code, 1000);
            SendFrame(0x8, code);
        }
    }

    /// <summary>
    /// Sends a close frame, then waits up to <paramref name="wait"/> for <paramref name="receiving"/> (this socket's
    /// <see cref="ReceiveAsync"/>) to end with the server's close; false when the close frame could not be sent.
    /// </summary>
    public async Task<bool> CloseAsync(Task? receiving, TimeSpan wait)
    {
        bool sent = true;
        try
        {
            SendClose();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            sent = false; // already closed
        }

        if (receiving is not null)
        {
            await receiving.WaitAsync(wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return sent;
    }

    /// <summary>Reads and dispatches messages until the server closes or the connection fails.</summary>
    public async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (start == end)
                {
                    start = end = 0;
                    if (buffer.Length > InitialBuffer)
                    {
                        Replace(ArrayPool<byte>.Shared.Rent(InitialBuffer));
                    }
                }

                if (end == buffer.Length)
                {
                    Compact();
                }

                int read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                end += read;
                if (!DispatchFrames())
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended; whoever waits for its replies times out and counts it.
        }
        finally
        {
            Replace([]);
            if (fragments.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(fragments);
                fragments = [];
            }
        }
    }

    public void Dispose()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }

        socket.Dispose();
    }

    private async Task UpgradeAsync(IPEndPoint server, string pathAndQuery, string headers, CancellationToken cancellationToken)
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        string request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);

        Replace(ArrayPool<byte>.Shared.Rent(InitialBuffer));
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the server closed during the upgrade");
            }

            end += read;
            int headEnd = buffer.AsSpan(0, end).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                if (!buffer.AsSpan(0, end).StartsWith("HTTP/1.1 101"u8))
                {
                    string status = Encoding.ASCII.GetString(buffer, 0, Math.Min(end, 40)).Split('\r')[0];
                    throw new IOException($"upgrade refused: {status}");
                }

                start = headEnd + 4; // what follows the head is already WebSocket frames
                return;
            }

            if (end == buffer.Length)
            {
                throw new IOException("the upgrade response is too long");
            }
        }
    }

    private void SendFrame(byte opcode, ReadOnlySpan<byte> payload)
    {
        int header = payload.Length < 126 ? 6 : payload.Length <= ushort.MaxValue ? 8 : 14;
        byte[] frame = ArrayPool<byte>.Shared.Rent(header + payload.Length);
        try
        {
            frame[0] = (byte)(0x80 | opcode);
            if (payload.Length < 126)
            {
                frame[1] = (byte)(0x80 | payload.Length);
            }
            else if (payload.Length <= ushort.MaxValue)
            {
                frame[1] = 0x80 | 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
            }
            else
            {
                frame[1] = 0x80 | 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
            }

            frame.AsSpan(header - 4, 4).Clear(); // the masking key: zero, so the payload goes as it is
            payload.CopyTo(frame.AsSpan(header));
            lock (sendGate)
            {
                var remaining = frame.AsSpan(0, header + payload.Length);
                while (!remaining.IsEmpty)
                {
                    remaining = remaining[socket.Send(remaining)..];
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    // Handles every complete frame in the buffer; false when the connection is done.
    private bool DispatchFrames()
    {
        while (end - start >= 2)
        {
            var available = buffer.AsSpan(start, end - start);
            byte opcode = (byte)(available[0] & 0x0F);
            bool fin = (available[0] & 0x80) != 0;
            long length = available[1] & 0x7F;
            int header = 2;
            if (length == 126)
            {
                if (available.Length < 4)
                {
                    return true;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(available[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                if (available.Length < 10)
                {
                    return true;
                }

                length = (long)BinaryPrimitives.ReadUInt64BigEndian(available[2..]);
                header = 10;
            }

            if (length > MaxMessage)
            {
                throw new IOException($"a server frame of {length} bytes is larger than this client takes");
            }

            int total = header + (int)length;
            if (available.Length < total)
            {
                if (total > buffer.Length)
                {
                    Grow(total);
                }

                return true;
            }

            var payload = available.Slice(header, (int)length);
            start += total;
            switch (opcode)
            {
                case 0x1 when fin:
                    OnText?.Invoke(payload);
                    break;
                case 0x2 when fin && OnBinary is not null:
                    OnBinary(payload);
                    break;
                case 0x2 or 0x0 when OnBinary is not null:
                    // A fragment (0x2 without FIN starts a message, 0x0 continues it): kept until the last one.
                    if (opcode == 0x2)
                    {
                        fragmentsLength = 0;
                    }

                    AppendFragment(payload);
                    if (fin)
                    {
                        OnBinary(fragments.AsSpan(0, fragmentsLength));
                        fragmentsLength = 0;
                    }

                    break;
                case 0x8:
                    SendClose();
                    return false;
                case 0x9:
                    SendFrame(0xA, payload);
                    break;
                case 0xA:
                    break;
                default:
                    UnexpectedFrames++;
                    break;
            }
        }

        return true;
    }

    private void AppendFragment(ReadOnlySpan<byte> payload)
    {
        if (fragmentsLength + payload.Length > MaxMessage)
        {
            throw new IOException($"a fragmented server message over {MaxMessage} bytes is larger than this client takes");
        }

        if (fragmentsLength + payload.Length > fragments.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(fragmentsLength + payload.Length, InitialBuffer));
            fragments.AsSpan(0, fragmentsLength).CopyTo(larger);
            if (fragments.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(fragments);
            }

            fragments = larger;
        }

        payload.CopyTo(fragments.AsSpan(fragmentsLength));
        fragmentsLength += payload.Length;
    }

    private void Compact()
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            start = 0;
        }
        else
        {
            Grow(buffer.Length * 2);
        }
    }

    private void Grow(int size)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(start, end - start).CopyTo(larger);
        end -= start;
        start = 0;
        Replace(larger);
    }

    private void Replace(byte[] next)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = next;
    }
}
