using Switch.Iso8583.Vocabulary;
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Serilog;
using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Common.Masking;
using Switch.Iso8583.Spec;
using Switch.Network.Framing;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;
using Switch.Network.Management;
using Switch.Network.Metrics;

namespace Switch.Network.Acceptor;

/// <summary>
/// One accepted connection: reads frames, decodes, hands requests to the handler with at most
/// <c>maxInFlight</c> outstanding (then stops reading: TCP pushes back on the peer), writes replies,
/// and turns malformed messages into format-error responses or a logged close.
/// </summary>
internal sealed class AcceptorSession
{
    private readonly FramedConnection _conn;
    private readonly MessageSpec _spec;
    private readonly IMessageHandler _handler;
    private readonly NetworkMetrics _metrics;
    private readonly ILogger _log;
    private readonly InFlightLimiter _inFlight;
    private readonly int _drainTimeoutMs;
    private readonly byte[] _header;
    private readonly byte[] _replyHeader;
    private bool _gateHeld;

    public AcceptorSession(FramedConnection conn, MessageSpec spec, SessionContext context, IMessageHandler handler, NetworkMetrics metrics,
        ILogger log, int maxInFlight, int drainTimeoutMs)
    {
        _conn = conn;
        _spec = spec;
        Context = context;
        _handler = handler;
        _metrics = metrics;
        _log = log;
        _inFlight = new InFlightLimiter(maxInFlight);
        conn.OwesReplies = () => _inFlight.Count > 0;
        _drainTimeoutMs = drainTimeoutMs;
        _header = new byte[conn.Format.Header.Length];
        _replyHeader = new byte[conn.Format.Header.Length];
    }

    public SessionContext Context { get; }

    public FramedConnection Connection => _conn;

    /// <summary>Requests handed to the handler and not yet answered.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Serves the connection until the peer leaves, a limit closes it, or shutdown; then drains in-flight requests.</summary>
    public async Task RunAsync(CancellationToken hardStop)
    {
        try
        {
            await ReadLoopAsync(hardStop).ConfigureAwait(false);
        }
        finally
        {
            await ReleaseGateAsync(hardStop).ConfigureAwait(false);
            await DrainAsync(hardStop).ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync(CancellationToken hardStop)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _conn.ReadAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                _conn.Abort($"read failed: {ex.Message}");
                return;
            }
            var buffer = result.Buffer;
            bool progressed = false, stop = false;
            int frames = 0, keepAlives = 0;
            long frameBytes = 0;
            try
            {
                while (!stop && _conn.Format.TryReadMessage(ref buffer, _header, out var message))
                {
                    progressed = true;
                    if (message.IsEmpty)
                    {
                        // A zero-length keep-alive (jPOS ChannelAdaptor when idle): its arrival already reset the idle clock.
                        keepAlives++;
                        continue;
                    }
                    frames++;
                    frameBytes += message.Length + _conn.Format.OverheadBytes;
                    stop = !await WaitForSlotAsync(hardStop).ConfigureAwait(false) || !await DispatchAsync(message, hardStop).ConfigureAwait(false);
                }
            }
            catch (FrameFormatException ex)
            {
                _metrics.MalformedFrame();
                _log.Warning("Malformed frame from {Remote} on session {SessionId}: {Reason}; closing", Context.RemoteEndPoint, Context.SessionId, ex.Reason);
                _conn.Abort($"malformed frame: {ex.Reason}");
                stop = true;
            }
            finally
            {
                _conn.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: !buffer.IsEmpty, progressed);
                _metrics.FramesIn(frames, frameBytes);
                _metrics.KeepAlives(keepAlives);
            }
            await ReleaseGateAsync(hardStop).ConfigureAwait(false);
            if (stop) return;
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty) _log.Information("Session {SessionId} peer closed mid-frame ({Bytes} bytes unread)", Context.SessionId, buffer.Length);
                _conn.Abort("peer closed");
                return;
            }
        }
    }

    /// <summary>Takes an in-flight slot; when none is free, flushes what is written and waits (backpressure).</summary>
    private async ValueTask<bool> WaitForSlotAsync(CancellationToken hardStop)
    {
        if (_inFlight.TryEnter()) return true;
        // Async completions need the write gate to free their slots: never hold it while waiting.
        await ReleaseGateAsync(hardStop).ConfigureAwait(false);
        try
        {
            await _inFlight.WaitAsync(_conn.Closing).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Decodes and hands one message to the handler (slot already taken); false to stop reading.</summary>
    private async ValueTask<bool> DispatchAsync(ReadOnlySequence<byte> bytes, CancellationToken hardStop)
    {
        IsoMessage request;
        try
        {
            request = _spec.Decode(bytes, DecodeMode.Strict);
            // A single-segment message points into the pipe, which is reused after AdvanceTo.
            if (bytes.IsSingleSegment) request.Detach();
        }
        catch (IsoFormatException ex)
        {
            _inFlight.Release();
            return await RejectAsync(bytes, ex, hardStop).ConfigureAwait(false);
        }
        if (Mti.IsResponse(request.Mti))
        {
            _inFlight.Release();
            DropResponse(request);
            return true;
        }
        _conn.Format.Header.WriteReply(_header, _replyHeader);
        ValueTask<IsoMessage?> pending;
        try
        {
            pending = _handler.HandleAsync(request, Context, hardStop);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Handler failed on {Mti} STAN {Stan} of session {SessionId}", request.Mti, SafeStan(request), Context.SessionId);
            pending = ValueTask.FromResult(FailureResponse(request));
        }
        if (!pending.IsCompleted)
        {
            _ = CompleteLaterAsync(pending, request, (byte[])_replyHeader.Clone(), hardStop);
            return true;
        }
        IsoMessage? response = await SettleAsync(pending, request).ConfigureAwait(false);
        _inFlight.Release();
        if (response is not null) await WriteInBatchAsync(response, _replyHeader, hardStop).ConfigureAwait(false);
        return true;
    }

    private async Task CompleteLaterAsync(ValueTask<IsoMessage?> pending, IsoMessage request, byte[] replyHeader, CancellationToken hardStop)
    {
        try
        {
            IsoMessage? response = await SettleAsync(pending, request).ConfigureAwait(false);
            if (response is not null) await IsoFrames.SendAsync(_conn, _spec, response, replyHeader, hardStop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IsoFormatException or FrameFormatException or InvalidOperationException)
        {
            _log.Warning("Response to {Mti} STAN {Stan} on session {SessionId} not sent: {Reason}", request.Mti, SafeStan(request), Context.SessionId, ex.Message);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>The handler's answer, or a 96 (system malfunction) response when it failed.</summary>
    private async ValueTask<IsoMessage?> SettleAsync(ValueTask<IsoMessage?> pending, IsoMessage request)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.Error(ex, "Handler failed on {Mti} STAN {Stan} of session {SessionId}", request.Mti, SafeStan(request), Context.SessionId);
            return FailureResponse(request);
        }
    }

    private static IsoMessage? FailureResponse(IsoMessage request) =>
        Mti.ExpectsResponse(request.Mti) ? MessageTypes.Respond(request, ResponseCode.SystemMalfunction) : null;

    /// <summary>Answers an undecodable message with DE 39 = 30 when its MTI is a readable request; otherwise closes.</summary>
    private async ValueTask<bool> RejectAsync(ReadOnlySequence<byte> bytes, IsoFormatException ex, CancellationToken hardStop)
    {
        _metrics.MalformedFrame();
        string? mti = MessageTypes.TryReadMti(_spec, bytes);
        string? responseMti = Mti.ResponseOf(mti);
        if (responseMti is null)
        {
            _log.Warning("Undecodable message (MTI {Mti}) from {Remote} on session {SessionId}: field {Field} at offset {Offset}: {Reason}; closing",
                mti ?? "unreadable", Context.RemoteEndPoint, Context.SessionId, ex.Field, ex.Offset, ex.Reason);
            _conn.Abort($"undecodable message: {ex.Reason}");
            return false;
        }
        _log.Warning("Format error in {Mti} from {Remote} on session {SessionId}: field {Field} at offset {Offset}: {Reason}; answering {ResponseMti} DE39=30",
            mti, Context.RemoteEndPoint, Context.SessionId, ex.Field, ex.Offset, ex.Reason, responseMti);
        _metrics.Reject();
        var (reject, partial, raw) = FormatErrorAnswer(bytes, responseMti);
        if (_handler is IFormatErrorHandler core)
        {
            // The handler journals (an fsync): the write gate is not held meanwhile, so other answers on this connection go out.
            await ReleaseGateAsync(hardStop).ConfigureAwait(false);
            reject = await AnswerThroughHandlerAsync(core, new FormatError(reject, partial, raw, ex.Field, ex.Offset), hardStop).ConfigureAwait(false);
        }
        _conn.Format.Header.WriteReply(_header, _replyHeader);
        await WriteInBatchAsync(reject, _replyHeader, hardStop).ConfigureAwait(false);
        return true;
    }

    /// <summary>Fields a format-error answer echoes when they could be read (jPOS QMUX matches on DE 41 + DE 11).</summary>
    private static readonly int[] FormatErrorEchoFields = [3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49];

    /// <summary>MTI + 10 with DE 39 = 30 and every echo field read and checked before the error; the partial request and a copy of its bytes.</summary>
    private (IsoMessage Answer, IsoMessage Partial, ReadOnlyMemory<byte> Raw) FormatErrorAnswer(ReadOnlySequence<byte> bytes, string responseMti)
    {
        // A copy: the answer, the partial request and the bytes outlive the pipe's buffer (awaits follow).
        ReadOnlyMemory<byte> memory = bytes.ToArray();
        _spec.TryDecode(memory, out var partial, out _);
        return (partial.CreateResponse(responseMti, FormatErrorEchoFields).Set(39, ResponseCode.FormatError), partial, memory);
    }

    /// <summary>The handler's answer to a format error (journaled, perhaps signed); the acceptor's own when the handler fails.</summary>
    private async ValueTask<IsoMessage> AnswerThroughHandlerAsync(IFormatErrorHandler handler, FormatError error, CancellationToken hardStop)
    {
        try
        {
            return await handler.AnswerFormatErrorAsync(error, Context, hardStop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.Error("Handler failed on the format error answer {Mti} of session {SessionId}: {Error}; answered unsigned", error.Answer.Mti, Context.SessionId, ex.Message);
            return error.Answer;
        }
    }

    /// <summary>Writes a reply in the read loop's batch; the batch is flushed once when the read is processed.</summary>
    private async ValueTask WriteInBatchAsync(IsoMessage response, byte[] replyHeader, CancellationToken hardStop)
    {
        if (!_gateHeld)
        {
            await _conn.EnterWriteAsync(hardStop).ConfigureAwait(false);
            _gateHeld = true;
        }
        try
        {
            IsoFrames.Write(_conn, _spec, response, replyHeader);
        }
        catch (Exception ex) when (ex is IsoFormatException or FrameFormatException)
        {
            _log.Error("Response {Mti} on session {SessionId} cannot be encoded: {Reason}", response.Mti, Context.SessionId, ex.Message);
        }
    }

    private async ValueTask ReleaseGateAsync(CancellationToken hardStop)
    {
        if (!_gateHeld) return;
        _gateHeld = false;
        try
        {
            await _conn.FlushAsync(hardStop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _conn.Abort("shutdown deadline");
        }
        finally
        {
            _conn.ExitWrite();
        }
    }

    /// <summary>Lets in-flight requests finish (their replies are still sent) until the drain deadline.</summary>
    private async Task DrainAsync(CancellationToken hardStop)
    {
        long deadline = Environment.TickCount64 + _drainTimeoutMs;
        while (InFlight > 0 && Environment.TickCount64 < deadline && !hardStop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(5, hardStop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (InFlight > 0) _log.Warning("Session {SessionId} closed with {InFlight} requests unanswered", Context.SessionId, InFlight);
    }

    /// <summary>
    /// A response sent to a listener has no request here to answer (a listener matches nothing): it is dropped, but
    /// logged (PAN masked) and counted, so a peer that answers on the wrong link is seen.
    /// </summary>
    private void DropResponse(IsoMessage response)
    {
        _metrics.ResponseDropped();
        _log.Warning("Listener {Listener} dropped response {Mti} STAN {Stan} PAN {Pan} from {Remote} on session {SessionId}: a listener answers requests and has no request of its own to match it to",
            Context.Listener, response.Mti, SafeStan(response), SafePan(response), Context.RemoteEndPoint, Context.SessionId);
    }

    private static string SafePan(IsoMessage message)
    {
        try
        {
            return PanMask.Mask(message.GetString(2));
        }
        catch (IsoFormatException)
        {
            return "";
        }
    }

    private static string? SafeStan(IsoMessage message)
    {
        try
        {
            return message.GetString(11);
        }
        catch (IsoFormatException)
        {
            return null;
        }
    }
}
