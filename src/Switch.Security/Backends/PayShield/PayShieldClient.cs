using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;

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
    private readonly ConcurrentDictionary<int, TaskCompletionSource<string>> _pending = new();
    private readonly PayShieldLinkCounters _counters = new();
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
        int header = NextHeader();
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[header] = tcs;
        Connection? connection = null;
        try
        {
            connection = await ConnectAsync(ct).ConfigureAwait(false);
            connection.Enqueue(header, _options.HeaderLength, command);
            return await tcs.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connection is not null)
        {
            // A late answer could otherwise complete a later command that reused this header: drop the connection so
            // nothing sent on it can arrive any more (everything in flight on it fails as unavailable).
            connection.Abort("a command was abandoned by its caller");
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

    /// <summary>Frames sent and bytes written on the client's connections.</summary>
    public PayShieldLinkCounters Counters => _counters;

    // The header is a number written with HeaderLength digits; unique among the commands in flight.
    private int NextHeader() => (int)((uint)Interlocked.Increment(ref _nextHeader) % (uint)_headerModulo);

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

    // A response whose header is not one of ours (too short, not digits, already abandoned) is ignored.
    private void Complete(in ReadOnlySequence<byte> message)
    {
        int h = _options.HeaderLength;
        if (message.Length < h) return;
        Span<byte> header = stackalloc byte[h];
        message.Slice(0, h).CopyTo(header);
        if (!Utf8Parser.TryParse(header, out int key, out int consumed) || consumed != h) return;
        if (_pending.TryGetValue(key, out var tcs)) tcs.TrySetResult(PayShieldLink.Text(message.Slice(h)));
    }

    private void FailAll(Exception reason)
    {
        foreach (var tcs in _pending.Values) tcs.TrySetException(reason);
    }

    /// <summary>
    /// One TCP connection as a Switch.Transport <see cref="FramedConnection"/>: its writer batches the queued
    /// commands into one send, a reader loop here matches the responses.
    /// </summary>
    private sealed class Connection : IAsyncDisposable
    {
        /// <summary>Commands up to this size are encoded on the stack; larger ones (rare: big MAC data) in a pooled array.</summary>
        private const int StackEncodeBytesMax = 1024;

        private readonly FramedConnection _framed;
        private readonly PayShieldClient _owner;
        private readonly Task _reader;
        private int _alive = 1;
        private int _disposed;

        public Connection(Socket socket, PayShieldClient owner)
        {
            _owner = owner;
            // No deadlines of the connection's own (the sweeper that enforces them is never run): each command is
            // bounded by its caller's token, and a connection with nothing in flight may stay idle.
            _framed = FramedConnection.FromSocket(socket, PayShieldLink.Format, owner._counters, int.MaxValue, int.MaxValue);
            _reader = ReadLoopAsync();
        }

        public bool IsAlive => Volatile.Read(ref _alive) == 1;

        /// <summary>Queues header + command as one frame; the connection's writer sends it with whatever else is queued.</summary>
        public void Enqueue(int header, int headerLength, string command)
        {
            int length = headerLength + Encoding.ASCII.GetByteCount(command);
            PayShieldLink.CheckLength(length);
            byte[]? rented = length > StackEncodeBytesMax ? ArrayPool<byte>.Shared.Rent(length) : null;
            Span<byte> message = rented is null ? stackalloc byte[StackEncodeBytesMax] : rented;
            try
            {
                Utf8Formatter.TryFormat(header, message, out _, new StandardFormat('D', (byte)headerLength));
                Encoding.ASCII.GetBytes(command, message[headerLength..]);
                if (!_framed.Enqueue(default, message[..length])) throw new HsmUnavailableException("payshield: connection closed");
            }
            finally
            {
                if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
            }
        }

        /// <summary>
        /// Closes once: the client's own disposal and a reconnect replacing a broken connection can both
        /// dispose it at the same moment (the second call returns at once). Commands still in flight fail.
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Broken("connection closed by the client");
            await _framed.DisposeAsync().ConfigureAwait(false);
            await _reader.ConfigureAwait(false);
        }

        // Never throws: every way the loop ends breaks the connection with its reason.
        private async Task ReadLoopAsync()
        {
            string reason;
            try
            {
                reason = await ReadFramesAsync().ConfigureAwait(false);
            }
            catch (FrameFormatException ex)
            {
                reason = $"malformed frame from the HSM: {ex.Reason}";
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                reason = _framed.CloseReason ?? $"read failed: {ex.Message}";
            }
            Broken(reason);
            _framed.Abort(reason);
        }

        /// <summary>Reads until the HSM closes; returns why the connection ended.</summary>
        private async Task<string> ReadFramesAsync()
        {
            while (true)
            {
                ReadResult result = await _framed.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                bool progressed = false;
                try
                {
                    while (_framed.Format.TryReadMessage(ref buffer, default, out var message))
                    {
                        progressed = true;
                        _owner.Complete(message);
                    }
                }
                finally
                {
                    _framed.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: !buffer.IsEmpty, progressed);
                }
                if (result.IsCompleted) return buffer.IsEmpty ? "the HSM closed the connection" : "the HSM closed the connection inside a frame";
            }
        }

        /// <summary>Stops using the connection: commands in flight fail, nothing more is read, the next command reconnects.</summary>
        public void Abort(string reason)
        {
            Broken(reason);
            _framed.Abort(reason);
        }

        private void Broken(string reason)
        {
            if (Interlocked.Exchange(ref _alive, 0) == 0) return;
            _owner.FailAll(new HsmUnavailableException($"payshield: connection lost: {reason}"));
        }
    }
}
