using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Internal;

/// <summary>
/// Every log entry of the library, with stable event ids. Payloads, params and query strings are never logged
/// (they hold tokens and user content); topics and event names are.
/// </summary>
internal static partial class ChannelsLog
{
    [LoggerMessage(1, LogLevel.Debug, "Socket {ConnectionId} connected (protocol {Version}, served from the {Transport}).")]
    public static partial void SocketConnected(ILogger logger, string connectionId, int version, string transport);

    [LoggerMessage(2, LogLevel.Debug, "Socket {ConnectionId} closed ({CloseStatus}, {Reason}).")]
    public static partial void SocketClosed(ILogger logger, string connectionId, WebSocketCloseStatus? closeStatus, string? reason);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} refused by the socket's ConnectAsync ({StatusCode}).")]
    public static partial void ConnectRefused(ILogger logger, string connectionId, int statusCode);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} refused: unsupported protocol version.")]
    public static partial void UnsupportedVersion(ILogger logger, string connectionId);

    [LoggerMessage(5, LogLevel.Debug, "Connection {ConnectionId} refused: the authToken subprotocol is not valid base64.")]
    public static partial void InvalidAuthToken(ILogger logger, string connectionId);

    [LoggerMessage(6, LogLevel.Warning, "Socket {ConnectionId}: no channel route matches topic {Topic}.")]
    public static partial void UnmatchedTopic(ILogger logger, string connectionId, string topic);

    [LoggerMessage(7, LogLevel.Warning, "Socket {ConnectionId}: join of {Topic} rejected, already {Count} channels joined.")]
    public static partial void TooManyChannels(ILogger logger, string connectionId, string topic, int count);

    [LoggerMessage(8, LogLevel.Error, "Socket {ConnectionId}: join of {Topic} crashed.")]
    public static partial void JoinCrashed(ILogger logger, string connectionId, string topic, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "Socket {ConnectionId}: channel {ChannelType} on {Topic} crashed.")]
    public static partial void ChannelCrashed(ILogger logger, string connectionId, string channelType, string topic, Exception exception);

    [LoggerMessage(10, LogLevel.Error, "Socket {ConnectionId}: terminating channel {ChannelType} on {Topic} ({Reason}) threw.")]
    public static partial void TerminateFailed(ILogger logger, string connectionId, string channelType, string topic, ChannelTerminateReason reason, Exception exception);

    [LoggerMessage(11, LogLevel.Debug, "Socket {ConnectionId}: duplicate join of {Topic}, the previous channel is replaced.")]
    public static partial void DuplicateJoin(ILogger logger, string connectionId, string topic);

    [LoggerMessage(12, LogLevel.Debug, "Socket {ConnectionId} sent a malformed frame ({Problem}); closing.")]
    public static partial void MalformedFrame(ILogger logger, string connectionId, string problem);

    [LoggerMessage(13, LogLevel.Debug, "Socket {ConnectionId} sent a frame larger than {MaxFrameBytes} bytes; closing with 1009.")]
    public static partial void FrameTooLarge(ILogger logger, string connectionId, int maxFrameBytes);

    [LoggerMessage(14, LogLevel.Debug, "Socket {ConnectionId} received nothing for {IdleTimeout}; closing.")]
    public static partial void IdleTimeout(ILogger logger, string connectionId, TimeSpan idleTimeout);

    [LoggerMessage(15, LogLevel.Debug, "Socket {ConnectionId} dropped {Count} droppable frame(s): outbound queue full.")]
    public static partial void FramesDropped(ILogger logger, string connectionId, int count);

    [LoggerMessage(16, LogLevel.Debug, "Socket {ConnectionId} cannot keep up: outbound queue full of frames that cannot be dropped; closing with 1011.")]
    public static partial void SlowConsumer(ILogger logger, string connectionId);

    [LoggerMessage(17, LogLevel.Debug, "Socket {ConnectionId} lost its connection.")]
    public static partial void ConnectionLost(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(18, LogLevel.Error, "Socket {ConnectionId} failed.")]
    public static partial void SocketFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(19, LogLevel.Error, "A broadcast subscriber of {Topic} threw.")]
    public static partial void SubscriberFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(20, LogLevel.Error, "Publishing a presence diff on {Topic} failed.")]
    public static partial void PresenceBroadcastFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(21, LogLevel.Information, "Server shutting down: closing {Count} socket(s) with 1001.")]
    public static partial void ShuttingDown(ILogger logger, int count);

    [LoggerMessage(22, LogLevel.Debug, "Socket {ConnectionId} did not finish closing within {CloseTimeout}; aborting.")]
    public static partial void CloseTimedOut(ILogger logger, string connectionId, TimeSpan closeTimeout);

    [LoggerMessage(23, LogLevel.Debug, "Socket {ConnectionId} skipped a binary broadcast on {Topic}: protocol 1 has no binary frames.")]
    public static partial void BinaryBroadcastSkipped(ILogger logger, string connectionId, string topic);

    [LoggerMessage(24, LogLevel.Debug, "Socket {ConnectionId}: dropped {Event} on {Topic} with an outdated join_ref.")]
    public static partial void StaleMessageDropped(ILogger logger, string connectionId, string topic, string @event);

    [LoggerMessage(25, LogLevel.Debug, "Socket {ConnectionId}: closing on a \"disconnect\" broadcast to its id.")]
    public static partial void DisconnectBroadcast(ILogger logger, string connectionId);

    [LoggerMessage(26, LogLevel.Error, "Socket {ConnectionId}: a callback registered on the Ended token of {Topic} threw.")]
    public static partial void EndedCallbackFailed(ILogger logger, string connectionId, string topic, Exception exception);

    [LoggerMessage(27, LogLevel.Information, "Connection {ConnectionId} refused: origin {Origin} is not allowed.")]
    public static partial void OriginRefused(ILogger logger, string connectionId, string? origin);
}
