using System.Net.WebSockets;

namespace Confab.Channels.Internal;

/// <summary>
/// The writing half of a socket: one task drains the outbound queue; frames queued behind the one being written are
/// held and go out with the last of them in one write (see <see cref="HoldingStream"/>).
/// </summary>
internal sealed partial class SocketConnection
{
    // A burst of queued frames is copied into the output and flushed once, up to this many bytes.
    private const int MaxBatchBytes = 64 * 1024;

    private async Task RunWriterAsync()
    {
        CancellationToken token = _abort.Token;
        try
        {
            int batched = 0;
            while (true)
            {
                if (_queue.TryDequeue(out OutboundFrame frame, out bool completed, out int remaining))
                {
                    batched += frame.Length;
                    bool hold = _batching is not null && remaining > 0 && batched < MaxBatchBytes;
                    ValueTask sent;
                    try
                    {
                        if (hold)
                        {
                            HoldingStream.HoldFlush(_batching!);
                        }

                        // No token: with one the WebSocket takes a slower path and registers it for every frame; Abort() ends
                        // a stuck write anyway.
                        sent = _webSocket.SendAsync(frame.Memory, frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    }
                    catch
                    {
                        frame.Release();
                        throw;
                    }
                    finally
                    {
                        // At once, not after the await: the hold is this thread's, and the thread moves on to other work.
                        HoldingStream.EndHold();
                    }

                    try
                    {
                        await sent;
                    }
                    finally
                    {
                        frame.Release();
                    }

                    batched = hold ? batched : 0;
                    continue;
                }

                if (completed)
                {
                    break;
                }

                await _queue.WaitAsync();
            }

            if (_webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _webSocket.CloseOutputAsync(_closeStatus, _closeStatus == WebSocketCloseStatus.Empty ? null : _closeReason, token);
            }
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            ChannelsLog.ConnectionLost(_logger, ConnectionId, ex);
            _queue.Complete(discardPending: true);
            Abort();
        }
#pragma warning disable CA1031 // The writer is a boundary too: log once and drop the connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.SocketFailed(_logger, ConnectionId, ex);
            _queue.Complete(discardPending: true);
            Abort();
        }
    }
}
