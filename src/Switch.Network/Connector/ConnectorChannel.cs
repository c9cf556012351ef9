using Switch.Iso8583.Vocabulary;
using System.Net.Security;
using System.Net.Sockets;
using System.IO.Pipelines;
using Serilog;
using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;
using Switch.Network.Management;
using Switch.Network.Mux;
using Switch.Network.Tls;

namespace Switch.Network.Connector;

/// <summary>
/// One persistent connection of a connector: connects (TLS optional), signs on, echoes on an
/// interval, hands responses to the MUX and peer requests to the handler, and reconnects with
/// capped exponential backoff when anything fails.
/// </summary>
internal sealed class ConnectorChannel
{
    private readonly IsoConnector _owner;
    private readonly ConnectorOptions _options;
    private readonly ILogger _log;
    private readonly Backoff _backoff;
    private FramedConnection? _conn;
    private volatile ChannelState _state;
    private int _echoFailures;
    private readonly byte[] _header;

    public ConnectorChannel(IsoConnector owner, ConnectorOptions options, string host, int port, int index, ILogger log)
    {
        _owner = owner;
        _options = options;
        Host = host;
        Port = port;
        Index = index;
        _log = log.ForContext("Endpoint", $"{host}:{port}").ForContext("Channel", index);
        _header = new byte[owner.Format.Header.Length];
        _backoff = new Backoff(options.Reconnect.InitialDelayMs, options.Reconnect.DelayMsMax);
    }

    public string Host { get; }

    public int Port { get; }

    public int Index { get; }

    public ChannelState State => _state;

    /// <summary>Usable for requests: connected and, when required, signed on.</summary>
    public bool Usable => _state == ChannelState.SignedOn || (_state == ChannelState.Connected && !_options.NetworkManagement.SignOnRequired);

    /// <summary>Consecutive failed echo tests.</summary>
    public int EchoFailures => Volatile.Read(ref _echoFailures);

    public FramedConnection? Connection => _conn;

    /// <summary>Keeps the connection up until <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _state = ChannelState.Connecting;
            var conn = await TryConnectAsync(stop).ConfigureAwait(false);
            if (conn is null)
            {
                _state = ChannelState.Down;
                await DelayAsync(_backoff.Next(), stop).ConfigureAwait(false);
                continue;
            }
            await ServeAsync(conn, stop).ConfigureAwait(false);
            if (!stop.IsCancellationRequested) await DelayAsync(_backoff.Next(), stop).ConfigureAwait(false);
        }
        _state = ChannelState.Down;
    }

    private async Task ServeAsync(FramedConnection conn, CancellationToken stop)
    {
        _conn = conn;
        Interlocked.Exchange(ref _echoFailures, 0);
        _state = ChannelState.Connected;
        // Without sign-on a connection is good once open; with it, only once signed on (a peer that accepts
        // and then refuses sign-on keeps backing off instead of being hammered at the initial delay).
        if (!_options.NetworkManagement.SignOnRequired) _backoff.Reset();
        _owner.Metrics.ConnectionOpened();
        _log.Information("Connector {Connector} connected to {Host}:{Port} (channel {Channel})", _options.Name, Host, Port, Index);
        using var stopRegistration = stop.Register(static c => ((FramedConnection)c!).Abort("connector stopping"), conn);
        var reading = ReadLoopAsync(conn);
        var managing = ManageAsync(conn);
        await reading.ConfigureAwait(false);
        conn.Abort("read loop ended");
        await managing.ConfigureAwait(false);
        _state = ChannelState.Down;
        _conn = null;
        _log.Write(stop.IsCancellationRequested ? Serilog.Events.LogEventLevel.Information : Serilog.Events.LogEventLevel.Warning,
            "Connector {Connector} closed {Host}:{Port} (channel {Channel}): {Reason}", _options.Name, Host, Port, Index, conn.CloseReason);
        await conn.DisposeAsync().ConfigureAwait(false);
        _owner.Metrics.ConnectionClosed();
    }

    private async Task<FramedConnection?> TryConnectAsync(CancellationToken stop)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(_options.Reconnect.ConnectTimeoutMs);
        try
        {
            await socket.ConnectAsync(Host, Port, deadline.Token).ConfigureAwait(false);
            // Leave the connect continuation: with inline socket completions it runs on the socket event thread.
            await Task.Yield();
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            if (_options.Tls is not { Enabled: true } tls)
                return FramedConnection.FromSocket(socket, _owner.Format, _owner.Metrics, _options.Limits.IdleTimeoutMs, _options.Limits.PartialFrameTimeoutMs);
            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(TlsFactory.ClientOptions(tls, Host), deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException or SocketException)
            {
                if (!stop.IsCancellationRequested)
                    _log.Warning("Connector {Connector:l}: TLS handshake with {Host:l}:{Port} failed: {Reason:l}", _options.Name, Host, Port,
                        TlsFactory.DescribeFailure(ssl, ex, _options.Reconnect.ConnectTimeoutMs));
                await ssl.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            return FramedConnection.FromTlsStream(socket, ssl, _owner.Format, _owner.Metrics,
                _options.Limits.IdleTimeoutMs, _options.Limits.PartialFrameTimeoutMs);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
        {
            socket.Dispose();
            if (!stop.IsCancellationRequested)
                _log.Warning("Connector {Connector} cannot connect to {Host}:{Port}: {Error}", _options.Name, Host, Port, ex switch
                {
                    OperationCanceledException => $"no connection within {_options.Reconnect.ConnectTimeoutMs} ms (reconnect.connectTimeoutMs)",
                    SocketException se => $"the TCP connect failed ({se.SocketErrorCode})",
                    _ => ex.Message,
                });
            return null;
        }
    }

    /// <summary>Sign-on, then echo tests on the interval; drops the connection when either fails.</summary>
    private async Task ManageAsync(FramedConnection conn)
    {
        var nm = _options.NetworkManagement;
        try
        {
            if (nm.SignOnRequired)
            {
                var signOn = await _owner.ExchangeNetworkAsync(this, MessageTypes.SignOn, conn.Closing).ConfigureAwait(false);
                if (!signOn.ok)
                {
                    _log.Warning("Connector {Connector} sign-on to {Host}:{Port} failed: {Reason}", _options.Name, Host, Port, signOn.reason);
                    conn.Abort($"sign-on failed: {signOn.reason}");
                    return;
                }
                _state = ChannelState.SignedOn;
                _backoff.Reset();
                _log.Information("Connector {Connector} signed on to {Host}:{Port} (channel {Channel})", _options.Name, Host, Port, Index);
            }
            if (nm.EchoIntervalMs == 0) return;
            while (!conn.Closing.IsCancellationRequested)
            {
                await Task.Delay(nm.EchoIntervalMs, conn.Closing).ConfigureAwait(false);
                var echo = await _owner.ExchangeNetworkAsync(this, MessageTypes.EchoTest, conn.Closing).ConfigureAwait(false);
                if (echo.ok)
                {
                    Interlocked.Exchange(ref _echoFailures, 0);
                    continue;
                }
                int failures = Interlocked.Increment(ref _echoFailures);
                _log.Warning("Connector {Connector} echo test to {Host}:{Port} failed ({Failures} in a row): {Reason}", _options.Name, Host, Port, failures, echo.reason);
                if (failures >= nm.EchoFailuresMax) conn.Abort($"{failures} echo tests failed");
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
        }
    }

    /// <summary>Sends sign-off (002) before a planned close; best effort.</summary>
    public async Task SignOffAsync(CancellationToken ct)
    {
        if (_state != ChannelState.SignedOn || _conn is null) return;
        var result = await _owner.ExchangeNetworkAsync(this, MessageTypes.SignOff, ct).ConfigureAwait(false);
        _log.Information("Connector {Connector} signed off from {Host}:{Port}: {Result}", _options.Name, Host, Port, result.ok ? "acknowledged" : result.reason);
        _state = ChannelState.Connected;
    }

    private async Task ReadLoopAsync(FramedConnection conn)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await conn.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var buffer = result.Buffer;
            bool progressed = false;
            int frames = 0, keepAlives = 0;
            long frameBytes = 0;
            // The callers answered by this read continue together (one work item; their next requests leave together).
            var answered = new ReplyBatch();
            try
            {
                while (conn.Format.TryReadMessage(ref buffer, _header, out var bytes))
                {
                    progressed = true;
                    if (bytes.IsEmpty)
                    {
                        keepAlives++;
                        continue;
                    }
                    frames++;
                    frameBytes += bytes.Length + conn.Format.OverheadBytes;
                    answered.Add(OnMessage(conn, bytes));
                }
            }
            catch (FrameFormatException ex)
            {
                _owner.Metrics.MalformedFrame();
                _log.Warning("Connector {Connector} got a malformed frame from {Host}:{Port}: {Reason}; reconnecting", _options.Name, Host, Port, ex.Reason);
                conn.Abort($"malformed frame: {ex.Reason}");
                return;
            }
            finally
            {
                conn.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: !buffer.IsEmpty, progressed);
                _owner.Metrics.FramesIn(frames, frameBytes);
                _owner.Metrics.KeepAlives(keepAlives);
                answered.Dispatch();
            }
            if (result.IsCompleted)
            {
                conn.Abort("peer closed");
                return;
            }
        }
    }

    /// <summary>Decodes one message: a peer's request is answered, a response matched; returns the request it answers, if any.</summary>
    private PendingRequest? OnMessage(FramedConnection conn, System.Buffers.ReadOnlySequence<byte> bytes)
    {
        IsoMessage message;
        try
        {
            message = _owner.Spec.Decode(bytes, DecodeMode.Strict);
            if (bytes.IsSingleSegment) message.Detach();
        }
        catch (IsoFormatException ex)
        {
            // An undecodable response cannot be matched: its request times out and the core reverses it.
            _owner.Metrics.MalformedFrame();
            _log.Warning("Connector {Connector} got an undecodable message from {Host}:{Port}: field {Field} at offset {Offset}: {Reason}",
                _options.Name, Host, Port, ex.Field, ex.Offset, ex.Reason);
            return null;
        }
        if (Mti.ExpectsResponse(message.Mti))
        {
            _ = _owner.AnswerPeerRequestAsync(conn, message, (byte[])_header.Clone());
            return null;
        }
        try
        {
            return _owner.Mux.Match(message);
        }
        catch (Exception ex)
        {
            // Only a LateResponse subscriber can throw here: its bug must not end the read loop (and the link).
            _log.Error(ex, "Connector {Connector}: a LateResponse handler failed on {Mti} STAN {Stan}", _options.Name, message.Mti, message.GetString(11));
            return null;
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
