using System.Net.WebSockets;
using System.Text.Json;

namespace Confab.Channels.Internal;

/// <summary>The reading half of a socket: one message at a time, in order, each handed to the dispatcher.</summary>
internal sealed partial class SocketConnection
{
    private const int InitialReceiveBytes = 4 * 1024;

    private async Task RunReaderAsync()
    {
        CancellationToken token = _abort.Token;
        while (true)
        {
            // Waits for the next message with a zero-byte read, so an idle socket holds no receive buffer, and no
            // registration on the abort token either (Abort() aborts the WebSocket, which ends the read).
            ValueWebSocketReceiveResult first = await _webSocket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            ReceivedMessage received = first.MessageType == WebSocketMessageType.Close
                ? new ReceivedMessage(ReceivedKind.Close, null!, 0, first.MessageType)
                : await ReceiveMessageAsync(first, token);
            if (received.Kind == ReceivedKind.Close)
            {
                // The client's close (or its answer to ours): echo it and stop reading.
                RequestClose(_webSocket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, discardPending: true);
                return;
            }

            if (IsClosing)
            {
                // Waiting for the client's close frame: nothing more is handled.
                received.Release();
                continue;
            }

            if (received.Kind == ReceivedKind.TooLarge)
            {
                _runtime.Metrics.FrameTooLargeClosed();
                ChannelsLog.FrameTooLarge(_logger, ConnectionId, _options.MaxFrameBytes);
                RequestClose(WebSocketCloseStatus.MessageTooBig, "frame too large", discardPending: false);
                continue;
            }

            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            await HandleMessageAsync(received);
        }
    }

    private async ValueTask HandleMessageAsync(ReceivedMessage received)
    {
        var frame = new ReadOnlyMemory<byte>(received.Buffer, 0, received.Length);
        InboundMessage message;
        JsonDocument? document = null;
        string? problem;
        bool decoded = received.Type == WebSocketMessageType.Text
            ? Serializer.TryDecodeText(frame, out message, out document, out problem)
            : Serializer.TryDecodeBinary(frame, out message, out problem);
        if (!decoded)
        {
            received.Release();
            _runtime.Metrics.MalformedFrameClosed();
            ChannelsLog.MalformedFrame(_logger, ConnectionId, problem!);
            var status = received.Type == WebSocketMessageType.Binary && !Serializer.SupportsBinary
                ? WebSocketCloseStatus.InvalidMessageType
                : WebSocketCloseStatus.InvalidPayloadData;
            RequestClose(status, problem, discardPending: false);
            return;
        }

        var lease = new InboundLease(received.Buffer, document);
        bool retained = false;
        try
        {
            retained = await _dispatcher.DispatchAsync(message, lease);
        }
        finally
        {
            if (!retained)
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>
    /// Receives the rest of a message whose start the zero-byte read saw, into a buffer from <see cref="FrameBuffers"/>,
    /// never holding more than MaxFrameBytes + 1 bytes.
    /// </summary>
    private async ValueTask<ReceivedMessage> ReceiveMessageAsync(ValueWebSocketReceiveResult first, CancellationToken token)
    {
        int limit = _options.MaxFrameBytes + 1;
        byte[] buffer = FrameBuffers.Rent(Math.Min(InitialReceiveBytes, limit));
        if (first.EndOfMessage)
        {
            return new ReceivedMessage(ReceivedKind.Message, buffer, 0, first.MessageType); // an empty message
        }

        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = FrameBuffers.Rent(Math.Min(buffer.Length * 2, limit));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    FrameBuffers.Return(buffer);
                    buffer = larger;
                }

                int room = Math.Min(buffer.Length, limit) - length;
                ValueWebSocketReceiveResult result = await _webSocket.ReceiveAsync(buffer.AsMemory(length, room), token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    FrameBuffers.Return(buffer);
                    return new ReceivedMessage(ReceivedKind.Close, null!, 0, result.MessageType);
                }

                length += result.Count;
                if (length > _options.MaxFrameBytes)
                {
                    FrameBuffers.Return(buffer);
                    return new ReceivedMessage(ReceivedKind.TooLarge, null!, 0, result.MessageType);
                }

                if (result.EndOfMessage)
                {
                    return new ReceivedMessage(ReceivedKind.Message, buffer, length, result.MessageType);
                }
            }
        }
        catch (Exception)
        {
            FrameBuffers.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// After the WebSocket closed on its own (it sent 1007 for invalid UTF-8, or 1002): reads on until the client answers
    /// with its close, so the connection ends with the handshake done rather than with a reset that could discard the
    /// close frame before the client reads it. The close timer bounds the wait.
    /// </summary>
    private async Task AwaitClientCloseAsync()
    {
        if (_webSocket.State != WebSocketState.CloseSent)
        {
            return;
        }

        byte[] discard = FrameBuffers.Rent(256);
        try
        {
            while (_webSocket.State == WebSocketState.CloseSent)
            {
                if ((await _webSocket.ReceiveAsync(discard.AsMemory(), _abort.Token)).MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            ChannelsLog.ConnectionLost(_logger, ConnectionId, ex);
        }
        finally
        {
            FrameBuffers.Return(discard);
        }
    }

    private enum ReceivedKind
    {
        Message,
        Close,
        TooLarge,
    }

    private readonly record struct ReceivedMessage(ReceivedKind Kind, byte[] Buffer, int Length, WebSocketMessageType Type)
    {
        public void Release()
        {
            if (Kind == ReceivedKind.Message)
            {
                FrameBuffers.Return(Buffer);
            }
        }
    }
}
