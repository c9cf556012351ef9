using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Serilog;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;

namespace Switch.Iso20022.Network;

/// <summary>
/// ISO 20022 over TCP: every frame is a 4-byte big-endian length and that many bytes of UTF-8 XML. The announced
/// length is capped (<see cref="Iso20022Options.DocumentBytesMax"/>) before any byte of the frame is buffered; a frame
/// over it, or a stream that cannot be framed, closes the connection (the stream cannot be resynchronised). Each frame
/// is read by the hardened <see cref="Iso20022Reader"/>; a valid document goes to the handler and its answer is sent
/// back as one frame; a refused one is answered with the handler's group rejection (pacs.002 RJCT FF01). Frames of one
/// connection are answered in order, one at a time (a peer wanting parallelism opens more connections, up to
/// <see cref="Iso20022ListenerOptions.ConnectionsMax"/>). Reuses the ISO 8583 network's <see cref="FramedConnection"/>
/// (bounded buffers, idle and partial-frame deadlines).
/// </summary>
public sealed class Iso20022TcpListener : IAsyncDisposable
{
    private readonly Iso20022ListenerOptions _options;
    private readonly Iso20022Reader _reader;
    private readonly IIso20022Handler _handler;
    private readonly ILogger _log;
    private readonly FrameFormat _format;
    private readonly ConcurrentDictionary<long, FramedConnection> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Counters _counters = new();
    private Socket? _socket;
    private Task? _acceptLoop;
    private Timer? _sweeper;
    private long _nextId;
    private int _open;

    /// <summary>A listener that will serve <paramref name="handler"/>; nothing is bound until <see cref="Start"/>.</summary>
    public Iso20022TcpListener(Iso20022ListenerOptions options, Iso20022Reader reader, IIso20022Handler handler, ILogger? log = null)
    {
        _options = options;
        _reader = reader;
        _handler = handler;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<Iso20022TcpListener>();
        _format = FourByteLengthFramer.Format(reader.Options.DocumentBytesMax);
    }

    /// <summary>The listener's name.</summary>
    public string Name => _options.Name;

    /// <summary>The bound address (the port chosen when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint?)_socket?.LocalEndPoint ?? throw new InvalidOperationException("not started");

    /// <summary>Connections closed because a frame could not be read (oversized, bad length).</summary>
    public long MalformedFrames => Interlocked.Read(ref _counters.Malformed);

    /// <summary>Binds, listens and starts accepting.</summary>
    public void Start()
    {
        if (_socket is not null) throw new InvalidOperationException($"listener {Name} already started");
        var endpoint = new IPEndPoint(IPAddress.Parse(_options.Bind), _options.Port);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        int sweepMs = Math.Clamp(Math.Min(_options.PartialFrameTimeoutMs, _options.IdleTimeoutMs) / 4, 20, 1000);
        _sweeper = new Timer(_ => Sweep(), null, sweepMs, sweepMs);
        _acceptLoop = AcceptLoopAsync();
        _log.Information("ISO 20022 listener {Listener} on {Endpoint} (4-byte length, frames up to {Max} bytes)", Name, LocalEndPoint, _format.Length.FrameBytesMax);
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (var connection in _connections.Values) connection.CheckDeadlines(now);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _log.Warning("Accept on {Listener} failed: {Error}", Name, ex.SocketErrorCode);
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (Interlocked.Increment(ref _open) > _options.ConnectionsMax)
            {
                Interlocked.Decrement(ref _open);
                _log.Warning("Refused {Remote} on {Listener}: at its maximum of {Max} connections", client.RemoteEndPoint, Name, _options.ConnectionsMax);
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        long id = Interlocked.Increment(ref _nextId);
        var connection = FramedConnection.FromSocket(client, _format, _counters, _options.IdleTimeoutMs, _options.PartialFrameTimeoutMs);
        _connections[id] = connection;
        var origin = new Iso20022Origin("tcp", Name, connection.RemoteEndPoint);
        try
        {
            if (_stop.IsCancellationRequested) connection.Abort("shutdown");
            await ReadLoopAsync(connection, origin).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _log.Warning("ISO 20022 connection {Id} from {Remote} failed: {Error}", id, origin.Remote, ex.Message);
        }
        finally
        {
            _connections.TryRemove(id, out _);
            _log.Debug("Closed ISO 20022 connection {Id} from {Remote}: {Reason}", id, origin.Remote, connection.CloseReason ?? "closed");
            await connection.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task ReadLoopAsync(FramedConnection connection, Iso20022Origin origin)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await connection.ReadAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var buffer = result.Buffer;
            byte[]? frame = null;
            bool progressed = false;
            try
            {
                // One frame at a time: copied out (the pipe's memory is reused), answered, then the next.
                while (_format.TryReadMessage(ref buffer, default, out var message))
                {
                    progressed = true;
                    if (message.IsEmpty) continue; // keep-alive
                    frame = message.ToArray();
                    break;
                }
            }
            catch (FrameFormatException ex)
            {
                Interlocked.Increment(ref _counters.Malformed);
                _log.Warning("Malformed ISO 20022 frame from {Remote} on {Listener}: {Reason}; closing", origin.Remote, Name, ex.Message);
                connection.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: false, progressed);
                return;
            }
            // After a whole frame the rest stays unexamined, so a second frame already received is read at once.
            connection.AdvanceTo(buffer.Start, frame is null ? buffer.End : buffer.Start, partialFrameLeft: frame is null && !buffer.IsEmpty, progressed);
            if (frame is not null)
            {
                if (!await AnswerAsync(connection, frame, origin).ConfigureAwait(false)) return;
                continue;
            }
            if (result.IsCompleted) return;
        }
    }

    /// <summary>Reads, handles and answers one frame; false when the connection should close.</summary>
    private async Task<bool> AnswerAsync(FramedConnection connection, byte[] frame, Iso20022Origin origin)
    {
        var ct = connection.Closing;
        Iso20022Answer answer;
        try
        {
            answer = _reader.TryRead(frame, out var document, out var error)
                ? await _handler.HandleAsync(document!, origin, ct).ConfigureAwait(false)
                : await _handler.RefusedAsync(error!, origin, ct).ConfigureAwait(false);
        }
        catch (Iso20022UnavailableException ex)
        {
            _log.Error("ISO 20022 frame from {Remote} not answered: {Reason}", origin.Remote, ex.Message);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex)
        {
            // A fault of the handler closes this connection only; the listener and the other connections go on.
            _log.Error(ex, "ISO 20022 frame from {Remote} on {Listener} failed; closing the connection", origin.Remote, Name);
            return false;
        }
        try
        {
            return await connection.SendAsync(ReadOnlyMemory<byte>.Empty, answer.Document, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FrameFormatException or OperationCanceledException)
        {
            _log.Warning("Answer {Message} to {Remote} not sent: {Reason}", answer.MessageName, origin.Remote, ex.Message);
            return false;
        }
    }

    /// <summary>Stops accepting, closes every connection (a frame being handled finishes first) and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        if (_sweeper is not null) await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var connection in _connections.Values) connection.Abort("shutdown");
        var deadline = Environment.TickCount64 + 5000;
        while (!_connections.IsEmpty && Environment.TickCount64 < deadline) await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Counters : IFrameCounters
    {
        public long Malformed;
        public long Frames;
        public long Timeouts;

        public void FramesOut(int frames, long bytes) => Interlocked.Add(ref Frames, frames);

        public void Timeout() => Interlocked.Increment(ref Timeouts);
    }
}
