using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Switch.Security.Backends.PayShield;

/// <summary>One payShield host port.</summary>
public sealed record PayShieldEndpoint(string Host, int Port)
{
    /// <summary>host:port.</summary>
    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>Where the payShield is and how long connecting may take; each command is bounded by its caller's token.</summary>
public sealed record PayShieldClientOptions
{
    /// <summary>Host name or address.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (payShield default host port 1500).</summary>
    public int Port { get; init; } = 1500;

    /// <summary>Message header length configured on the HSM (its "Message Header Length" setting).</summary>
    public int HeaderLength { get; init; } = 4;

    /// <summary>Standby HSMs tried in order when the one above cannot be reached (a payShield pair or cluster).</summary>
    public IReadOnlyList<PayShieldEndpoint> Standby { get; init; } = [];

    /// <summary>How long connecting may take.</summary>
    public int ConnectTimeoutMs { get; init; } = 2000;

    /// <summary>Most commands in flight on the connection (headers are unique among them).</summary>
    public int InFlightMax { get; init; } = 512;
}

/// <summary>
/// payShield host-protocol client on one TCP connection with pipelining: each command gets a unique header, many
/// can be in flight, a reader matches responses by header, and a writer batches queued commands into one send.
/// Each command is bounded by the caller's token (the resilience pipeline's timeout cancels it); a broken connection
/// fails everything in flight and is reopened on the next call, on the first endpoint that answers.
/// </summary>
public sealed class PayShieldClient : IAsyncDisposable
{
    private readonly PayShieldClientOptions _options;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _inFlight;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly int _headerModulo;
    private Connection? _connection;
    private int _nextHeader;

    /// <summary>Creates the client; it connects on first use.</summary>
    public PayShieldClient(PayShieldClientOptions options)
    {
        if (options.HeaderLength is < 2 or > 8) throw new ArgumentException("header length must be 2-8", nameof(options));
        _options = options;
        _headerModulo = (int)Math.Pow(10, options.HeaderLength);
        _inFlight = new SemaphoreSlim(Math.Min(options.InFlightMax, _headerModulo / 2));
    }

    /// <summary>
    /// Sends one command (code + fields, without header) and returns the response after its header. Cancelling
    /// <paramref name="ct"/> (the caller's timeout) abandons the command and drops the connection it was sent on.
    /// </summary>
    public async Task<string> SendAsync(string command, CancellationToken ct)
    {
        await _inFlight.WaitAsync(ct).ConfigureAwait(false);
        string header = NextHeader();
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[header] = tcs;
        Connection? connection = null;
        try
        {
            connection = await ConnectAsync(ct).ConfigureAwait(false);
            connection.Enqueue(header + command);
            string response = await tcs.Task.WaitAsync(ct).ConfigureAwait(false);
            return response[_options.HeaderLength..];
        }
        catch (OperationCanceledException) when (connection is not null)
        {
            // A late answer could otherwise complete a later command that reused this header: drop the connection so
            // nothing sent on it can arrive any more (everything in flight on it fails as unavailable).
            connection.Abort(new TimeoutException("payshield: command abandoned by its caller"));
            throw;
        }
        finally
        {
            _pending.TryRemove(header, out _);
            _inFlight.Release();
        }
    }

    /// <summary>Commands sent or queued and not yet answered, failed or cancelled.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Closes the connection; commands in flight fail as unavailable.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
        _connectLock.Dispose();
        _inFlight.Dispose();
    }

    private string NextHeader()
    {
        int n = (int)((uint)Interlocked.Increment(ref _nextHeader) % (uint)_headerModulo);
        return n.ToString(CultureInfo.InvariantCulture).PadLeft(_options.HeaderLength, '0');
    }

    private async ValueTask<Connection> ConnectAsync(CancellationToken ct)
    {
        if (_connection is { IsAlive: true } alive) return alive;
        await _connectLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_connection is { IsAlive: true } again) return again;
            if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
            Socket socket = await OpenSocketAsync(ct).ConfigureAwait(false);
            _connection = new Connection(socket, this);
            return _connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    // The primary first, then each standby; the error names every endpoint tried.
    private async Task<Socket> OpenSocketAsync(CancellationToken ct)
    {
        var tried = new List<string>(1 + _options.Standby.Count);
        foreach (PayShieldEndpoint endpoint in (IEnumerable<PayShieldEndpoint>)[new PayShieldEndpoint(_options.Host, _options.Port), .. _options.Standby])
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connectDeadline.CancelAfter(_options.ConnectTimeoutMs);
            try
            {
                await socket.ConnectAsync(endpoint.Host, endpoint.Port, connectDeadline.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                ct.ThrowIfCancellationRequested();
                tried.Add($"{endpoint} ({(ex is SocketException se ? se.SocketErrorCode.ToString() : "timeout")})");
            }
        }
        throw new HsmUnavailableException($"payshield: cannot connect to {string.Join(", ", tried)}");
    }

    private void Complete(string message)
    {
        if (message.Length < _options.HeaderLength) return;
        if (_pending.TryGetValue(message[.._options.HeaderLength], out var tcs)) tcs.TrySetResult(message);
    }

    private void FailAll(Exception reason)
    {
        foreach (var tcs in _pending.Values) tcs.TrySetException(reason);
    }

    /// <summary>One TCP connection with its writer and reader loops.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly PayShieldClient _owner;
        private readonly Channel<string> _outgoing = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _writer, _reader;
        private volatile bool _alive = true;
        private int _disposed;

        public Connection(Socket socket, PayShieldClient owner)
        {
            _socket = socket;
            _owner = owner;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _writer = WriteLoopAsync();
            _reader = ReadLoopAsync();
        }

        public bool IsAlive => _alive;

        public void Enqueue(string message)
        {
            if (!_outgoing.Writer.TryWrite(message)) throw new HsmUnavailableException("payshield: connection closed");
        }

        /// <summary>
        /// Closes once: the client's own disposal and a reconnect replacing a broken connection can both
        /// dispose it at the same moment (the second call returns at once).
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _alive = false;
            _outgoing.Writer.TryComplete();
            await _stop.CancelAsync().ConfigureAwait(false);
            _socket.Dispose();
            try { await Task.WhenAll(_writer, _reader).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }

        // Drains everything queued into one buffer and sends it with one write.
        private async Task WriteLoopAsync()
        {
            var buffer = new ArrayBufferWriter<byte>(16 * 1024);
            try
            {
                while (await _outgoing.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                {
                    buffer.ResetWrittenCount();
                    while (buffer.WrittenCount < 256 * 1024 && _outgoing.Reader.TryRead(out string? message)) PayShieldFraming.Append(buffer, message);
                    await _stream.WriteAsync(buffer.WrittenMemory, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                Broken(ex);
            }
        }

        private async Task ReadLoopAsync()
        {
            var buffer = new byte[PayShieldFraming.MessageBytesMax + 2];
            try
            {
                while (true)
                {
                    string? message = await PayShieldFraming.ReadAsync(_stream, buffer, _stop.Token).ConfigureAwait(false);
                    if (message is null) break;
                    _owner.Complete(message);
                }
                Broken(new EndOfStreamException("payshield: HSM closed the connection"));
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
            {
                Broken(ex);
            }
        }

        /// <summary>Stops using the connection: commands in flight fail, the next command reconnects.</summary>
        public void Abort(Exception reason)
        {
            Broken(reason);
            try { _socket.Shutdown(SocketShutdown.Both); }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { /* already closed */ }
        }

        private void Broken(Exception ex)
        {
            if (!_alive) return;
            _alive = false;
            _outgoing.Writer.TryComplete();
            _owner.FailAll(new HsmUnavailableException($"payshield: connection lost ({ex.GetType().Name})", ex));
        }
    }
}
