using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Switch.Transport.Framing;

namespace Switch.Transport.Sockets;

/// <summary>
/// One TCP (or TLS) connection seen as frames: reads with idle and partial-frame deadlines, writes
/// whole frames under a gate so concurrent responders never interleave bytes. Knows no message format:
/// callers hand it encoded payloads. Shared by the ISO 8583 acceptor's sessions, connector's channels and the payShield link.
/// </summary>
public sealed class FramedConnection : IAsyncDisposable
{
    private readonly IDuplexPipe _pipe;
    private readonly SocketPipe _transport;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly IFrameCounters _metrics;
    private readonly long _idleTimeoutMs;
    private readonly long _partialFrameTimeoutMs;
    private long _lastReceiveMs;
    private long _frameStartMs;
    private volatile bool _partialFrame;
    private string? _closeReason;
    private int _disposed;
    private int _drainScheduled;

    /// <summary>
    /// Frames waiting for the writer, already framed, in one buffer (swapped with <see cref="_outboundSpare"/>
    /// by the drain). Unbounded here because every producer is bounded upstream (the connector's MUX
    /// pending table); one drain writes everything queued and flushes once.
    /// </summary>
    private ArrayBufferWriter<byte> _outbound = new(OutboundBufferBytes);
    private ArrayBufferWriter<byte> _outboundSpare = new(OutboundBufferBytes);
    private int _outboundFrames;
    private readonly Lock _outboundLock = new();

    /// <summary>Initial size of the outbound buffers; one grown past <see cref="OutboundBufferRetainMax"/> by a burst is dropped after use.</summary>
    private const int OutboundBufferBytes = 4096;
    private const int OutboundBufferRetainMax = 256 * 1024;

    private readonly DrainWorkItem _drainWork;

    private bool _writesClosed;

    // Frames written since the last flush: counted under the write gate, published once per flush.
    private int _unflushedFrames;
    private long _unflushedBytes;

    private FramedConnection(IDuplexPipe pipe, SocketPipe transport, FrameFormat format,
        EndPoint? remote, IFrameCounters metrics, int idleTimeoutMs, int partialFrameTimeoutMs)
    {
        _pipe = pipe;
        _transport = transport;
        Format = format;
        RemoteEndPoint = remote;
        _metrics = metrics;
        _idleTimeoutMs = idleTimeoutMs;
        _partialFrameTimeoutMs = partialFrameTimeoutMs;
        _lastReceiveMs = Environment.TickCount64;
        _drainWork = new DrainWorkItem(this);
    }

    /// <summary>The framing rules.</summary>
    public FrameFormat Format { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Why the connection is closing (null while open).</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Cancelled when the connection is being closed.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Wraps a connected socket in pipes whose buffers are bounded (the socket stops being read when they fill).</summary>
    public static FramedConnection FromSocket(Socket socket, FrameFormat format, IFrameCounters metrics,
        int idleTimeoutMs, int partialFrameTimeoutMs)
    {
        var pipe = new SocketPipe(socket, tls: null, BufferBytesMax(format));
        return new FramedConnection(pipe, pipe, format, socket.RemoteEndPoint, metrics, idleTimeoutMs, partialFrameTimeoutMs);
    }

    /// <summary>Wraps an authenticated TLS stream (which owns the socket) in pipes.</summary>
    public static FramedConnection FromTlsStream(Socket socket, SslStream stream, FrameFormat format,
        IFrameCounters metrics, int idleTimeoutMs, int partialFrameTimeoutMs)
    {
        var remote = socket.RemoteEndPoint;
        var pipe = new SocketPipe(socket, stream, BufferBytesMax(format));
        return new FramedConnection(pipe, pipe, format, remote, metrics, idleTimeoutMs, partialFrameTimeoutMs);
    }

    /// <summary>Room for a few maximum frames: enough to pipeline, small enough that a thousand connections stay cheap.</summary>
    private static long BufferBytesMax(FrameFormat format) => Math.Max(64 * 1024, 4L * (format.OverheadBytes + format.Length.FrameBytesMax));

    /// <summary>
    /// True while this side still owes the peer replies (requests in flight): a peer waiting for answers
    /// is not idle, and its connection is not read meanwhile (backpressure), so the idle clock must not run.
    /// </summary>
    public Func<bool>? OwesReplies { get; set; }

    /// <summary>Reads more bytes; the deadlines are enforced by <see cref="CheckDeadlines"/>.</summary>
    public ValueTask<ReadResult> ReadAsync() => _pipe.Input.ReadAsync(_closing.Token);

    /// <summary>Marks what is left unread after a read: a partial frame starts its own deadline.</summary>
    public void AdvanceTo(SequencePosition consumed, SequencePosition examined, bool partialFrameLeft, bool progressed)
    {
        _pipe.Input.AdvanceTo(consumed, examined);
        long now = Environment.TickCount64;
        Volatile.Write(ref _lastReceiveMs, now);
        if (!partialFrameLeft) _partialFrame = false;
        else if (!_partialFrame || progressed)
        {
            Volatile.Write(ref _frameStartMs, now);
            _partialFrame = true;
        }
    }

    /// <summary>Closes the connection when a deadline has passed; called by the owner's sweeper.</summary>
    public void CheckDeadlines(long nowMs)
    {
        if (Volatile.Read(ref _closeReason) is not null) return;
        if (_partialFrame && nowMs - Volatile.Read(ref _frameStartMs) > _partialFrameTimeoutMs)
        {
            _metrics.Timeout();
            Abort($"partial frame not completed within {_partialFrameTimeoutMs} ms");
        }
        else if (nowMs - Volatile.Read(ref _lastReceiveMs) > _idleTimeoutMs && !(OwesReplies?.Invoke() ?? false))
        {
            _metrics.Timeout();
            Abort($"idle for more than {_idleTimeoutMs} ms");
        }
    }

    /// <summary>Stops reading and waiting; the owner then drains and disposes. The first reason wins.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null) return;
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to stop.
        }
    }

    /// <summary>Takes the write gate; every write and flush happens inside it.</summary>
    public ValueTask<bool> EnterWriteAsync(CancellationToken ct)
    {
        if (_writeGate.Wait(0, CancellationToken.None)) return ValueTask.FromResult(true);
        return new ValueTask<bool>(WaitGateAsync(ct));
    }

    private async Task<bool> WaitGateAsync(CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Releases the write gate.</summary>
    public void ExitWrite() => _writeGate.Release();

    /// <summary>Frames an encoded payload into the output (inside the write gate, not yet flushed).</summary>
    public void WriteFrame(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        if (_writesClosed) return;
        Format.WriteFrame(_pipe.Output, header, payload);
        _unflushedFrames++;
        _unflushedBytes += Format.OverheadBytes + payload.Length;
    }

    /// <summary>Flushes written frames (inside the write gate).</summary>
    public async ValueTask<bool> FlushAsync(CancellationToken ct)
    {
        if (_writesClosed) return false;
        _metrics.FramesOut(_unflushedFrames, _unflushedBytes);
        _unflushedFrames = 0;
        _unflushedBytes = 0;
        try
        {
            var result = await _pipe.Output.FlushAsync(ct).ConfigureAwait(false);
            return !result.IsCompleted && !result.IsCanceled;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Abort($"write failed: {ex.Message}");
            return false;
        }
    }

    /// <summary>Writes one payload as a frame and flushes, taking the write gate.</summary>
    public async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        await EnterWriteAsync(ct).ConfigureAwait(false);
        try
        {
            if (_writesClosed) return false;
            WriteFrame(header.Span, payload.Span);
            return await FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>
    /// Queues a payload's frame for the connection's writer, which sends everything queued with one flush.
    /// False when the connection is closing; throws <see cref="FrameFormatException"/> when the frame is too large.
    /// </summary>
    public bool Enqueue(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        if (_writesClosed || CloseReason is not null) return false;
        int frameBytes = Format.Header.Length + payload.Length;
        if (frameBytes > Format.Length.FrameBytesMax)
            throw new FrameFormatException($"outgoing frame of {frameBytes} bytes exceeds the maximum of {Format.Length.FrameBytesMax}");
        lock (_outboundLock)
        {
            // Framed straight into the shared buffer: no array or queue node per request.
            Format.WriteFrame(_outbound, header, payload);
            _outboundFrames++;
        }
        // The drain goes to the global queue, behind the callers' continuations already queued on this
        // thread: those senders add their frames first and one send syscall carries them all.
        // One work item per connection, reused: nothing is allocated to schedule a drain.
        if (Interlocked.CompareExchange(ref _drainScheduled, 1, 0) == 0) ThreadPool.UnsafeQueueUserWorkItem(_drainWork, preferLocal: false);
        return true;
    }

    /// <summary>The scheduled drain (see <see cref="Enqueue"/>); at most one waits in the thread pool queue at a time.</summary>
    private sealed class DrainWorkItem(FramedConnection connection) : IThreadPoolWorkItem
    {
        public void Execute() => _ = connection.DrainOutboundAsync();
    }

    private async Task DrainOutboundAsync()
    {
        await EnterWriteAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            // Cleared before draining: a frame queued from now on schedules another drain (queued behind the
            // callers' continuations, so it batches). Draining again in this one was tried: inconclusive under
            // load, and frames trickling in during a flush can each get their own send.
            Volatile.Write(ref _drainScheduled, 0);
            var frames = TakeOutbound(out int count);
            if (count == 0 || _writesClosed) return;
            _pipe.Output.Write(frames.WrittenSpan);
            _unflushedFrames += count;
            _unflushedBytes += frames.WrittenCount;
            // The buffer taken is only refilled after the next swap, which happens under this gate.
            if (frames.Capacity > OutboundBufferRetainMax) _outboundSpare = new ArrayBufferWriter<byte>(OutboundBufferBytes);
            else frames.ResetWrittenCount();
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>Swaps the outbound buffers (inside the write gate): the producers fill the other one meanwhile.</summary>
    private ArrayBufferWriter<byte> TakeOutbound(out int count)
    {
        lock (_outboundLock)
        {
            var frames = _outbound;
            _outbound = _outboundSpare;
            _outboundSpare = frames;
            count = _outboundFrames;
            _outboundFrames = 0;
            return frames;
        }
    }

    /// <summary>Completes the pipes and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Abort("closed");
        // The gate keeps a late responder from writing into a completed pipe.
        bool gate = await _writeGate.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        _writesClosed = true;
        TakeOutbound(out _);
        await _pipe.Output.CompleteAsync().ConfigureAwait(false);
        if (gate) _writeGate.Release();
        await _pipe.Input.CompleteAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        // _closing is not disposed: late callers (sweeper, write paths) may still read its token or cancel it.
    }
}
