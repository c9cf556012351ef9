using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Serilog;
using Switch.Iso8583.Spec;
using Switch.Network.Config;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;
using Switch.Network.Metrics;
using Switch.Network.Tls;

namespace Switch.Network.Acceptor;

/// <summary>
/// One server socket from configuration: accepts connections within the per-listener and per-IP
/// limits, serves each as an <see cref="AcceptorSession"/>, closes idle and slow ones, and shuts down
/// gracefully (stop accepting, drain in-flight requests with a deadline, close).
/// </summary>
public sealed class IsoListener : IAsyncDisposable
{
    private static long s_nextSessionId;

    private readonly ListenerOptions _options;
    private readonly IMessageHandler _handler;
    private readonly ILogger _log;
    private readonly MessageSpec _spec;
    private readonly FrameFormat _format;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly ConcurrentDictionary<long, (AcceptorSession Session, Task Run)> _sessions = new();
    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly CancellationTokenSource _hardStop = new();
    private Socket? _socket;
    private IPEndPoint? _localEndPoint;
    private Task _acceptLoop = Task.CompletedTask;
    private Timer? _sweeper;
    private int _open;

    /// <summary>Creates a listener; <see cref="Start"/> binds it. Options must be validated; its spec is the registry's object.</summary>
    public IsoListener(ListenerOptions options, SpecRegistry specs, IMessageHandler handler, ILogger? logger = null)
    {
        _options = options;
        _handler = handler;
        _spec = specs.Resolve(options.Spec);
        _format = FramingFactory.Create(options.Framing, _spec);
        _tls = options.Tls is { Enabled: true } tls ? TlsFactory.ServerOptions(tls) : null;
        _log = (logger ?? Log.Logger).ForContext<IsoListener>().ForContext("Listener", options.Name);
        Metrics = new NetworkMetrics(options.Name);
    }

    /// <summary>Listener name.</summary>
    public string Name => _options.Name;

    /// <summary>Counters of this listener.</summary>
    public NetworkMetrics Metrics { get; }

    /// <summary>The bound address (with the real port when 0 was configured).</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("not started");

    /// <summary>True from a successful <see cref="Start"/> until shutdown begins (readiness reads it).</summary>
    public bool IsListening => _socket is not null && !_stopAccepting.IsCancellationRequested;

    /// <summary>Connections being served now.</summary>
    public int ConnectionCount => Volatile.Read(ref _open);

    /// <summary>Binds, listens and starts accepting.</summary>
    public void Start()
    {
        if (_socket is not null) throw new InvalidOperationException($"listener {Name} already started");
        var endpoint = new IPEndPoint(IPAddress.Parse(_options.Bind), _options.Port);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(1024);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _localEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        int sweepMs = Math.Clamp(Math.Min(_options.Limits.PartialFrameTimeoutMs, _options.Limits.IdleTimeoutMs) / 4, 20, 1000);
        _sweeper = new Timer(_ => Sweep(), null, sweepMs, sweepMs);
        _acceptLoop = AcceptLoopAsync();
        _log.Information("Listener {Listener} on {Endpoint} ({Framing}/{Header}, spec {Spec}, TLS {Tls})", Name, LocalEndPoint,
            _options.Framing.Length, _options.Framing.Header, _spec.Name, _tls is not null);
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (var entry in _sessions.Values) entry.Session.Connection.CheckDeadlines(now);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopAccepting.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket!.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient (e.g. the peer reset before accept completed, or out of descriptors): keep listening.
                _log.Warning("Accept on {Listener} failed: {Error}", Name, ex.SocketErrorCode);
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            var ip = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (!TryAdmit(ip, out string? refusal))
            {
                Metrics.ConnectionRefused();
                _log.Warning("Refused {Remote} on {Listener}: {Reason}", client.RemoteEndPoint, Name, refusal);
                client.Dispose();
                continue;
            }
            // Off the accept continuation: with inline socket completions that is the socket event thread.
            _ = Task.Run(() => ServeAsync(client, ip));
        }
    }

    private bool TryAdmit(IPAddress ip, out string? refusal)
    {
        refusal = null;
        if (Interlocked.Increment(ref _open) > _options.Limits.ConnectionsMax)
        {
            Interlocked.Decrement(ref _open);
            refusal = $"listener at its maximum of {_options.Limits.ConnectionsMax} connections";
            return false;
        }
        if (_perIp.AddOrUpdate(ip, 1, static (_, n) => n + 1) > _options.Limits.ConnectionsPerIpMax)
        {
            Release(ip);
            refusal = $"address at its maximum of {_options.Limits.ConnectionsPerIpMax} connections";
            return false;
        }
        return true;
    }

    private void Release(IPAddress ip)
    {
        Interlocked.Decrement(ref _open);
        // Remove the entry at zero so the table does not grow with every address ever seen.
        if (_perIp.AddOrUpdate(ip, 0, static (_, n) => n - 1) <= 0) _perIp.TryRemove(new KeyValuePair<IPAddress, int>(ip, 0));
    }

    private async Task ServeAsync(Socket client, IPAddress ip)
    {
        long id = Interlocked.Increment(ref s_nextSessionId);
        var remote = client.RemoteEndPoint;
        FramedConnection? conn = null;
        try
        {
            client.NoDelay = true;
            client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            conn = _tls is null
                ? FramedConnection.FromSocket(client, _format, Metrics, _options.Limits.IdleTimeoutMs, _options.Limits.PartialFrameTimeoutMs)
                : await OpenTlsAsync(client, remote).ConfigureAwait(false);
            if (conn is null) return;
            Metrics.ConnectionOpened();
            var context = new SessionContext(Name, id, remote);
            var session = new AcceptorSession(conn, _spec, context, _handler, Metrics, _log, _options.Limits.InFlightPerConnectionMax, _options.Limits.DrainTimeoutMs);
            var run = session.RunAsync(_hardStop.Token);
            _sessions[id] = (session, run);
            // A connection accepted just as shutdown began missed StopAsync's sweep over the sessions.
            if (_stopAccepting.IsCancellationRequested) conn.Abort("shutdown");
            _log.Information("Accepted {Remote} on {Listener} as session {SessionId}", remote, Name, id);
            await run.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _log.Warning("Session {SessionId} from {Remote} failed: {Error}", id, remote, ex.Message);
        }
        finally
        {
            _sessions.TryRemove(id, out _);
            if (conn is not null)
            {
                _log.Information("Closed session {SessionId} from {Remote}: {Reason}", id, remote, conn.CloseReason ?? "closed");
                await conn.DisposeAsync().ConfigureAwait(false);
                Metrics.ConnectionClosed();
            }
            else
            {
                client.Dispose();
            }
            Release(ip);
        }
    }

    /// <summary>TLS handshake within the partial-frame timeout (a slow handshake is a slowloris too); null when it fails.</summary>
    private async Task<FramedConnection?> OpenTlsAsync(Socket client, EndPoint? remote)
    {
        var ssl = new SslStream(new NetworkStream(client, ownsSocket: true), leaveInnerStreamOpen: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopAccepting.Token);
        deadline.CancelAfter(_options.Limits.PartialFrameTimeoutMs);
        try
        {
            await ssl.AuthenticateAsServerAsync(_tls!, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException or SocketException)
        {
            Metrics.ConnectionRefused();
            _log.Warning("TLS handshake with {Remote:l} on listener {Listener:l} failed: {Reason:l}", remote, Name,
                TlsFactory.DescribeFailure(ssl, ex, _options.Limits.PartialFrameTimeoutMs));
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        _log.Information("TLS {Protocol} {Cipher} with {Remote}, client certificate {Subject}", ssl.SslProtocol, ssl.NegotiatedCipherSuite,
            remote, ssl.RemoteCertificate?.Subject ?? "none");
        return FramedConnection.FromTlsStream(client, ssl, _format, Metrics, _options.Limits.IdleTimeoutMs, _options.Limits.PartialFrameTimeoutMs);
    }

    /// <summary>
    /// Graceful shutdown: stops accepting, stops reading every connection, lets in-flight requests be
    /// answered until the drain deadline, then closes everything. Cancelling <paramref name="ct"/> skips the drain.
    /// </summary>
    public async Task StopAsync(CancellationToken ct)
    {
        if (_stopAccepting.IsCancellationRequested) return;
        _stopAccepting.Cancel();
        _socket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (var entry in _sessions.Values) entry.Session.Connection.Abort("shutdown");
        var runs = _sessions.Values.Select(e => e.Run).ToArray();
        try
        {
            await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMilliseconds(_options.Limits.DrainTimeoutMs + 1000), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            _log.Warning("Listener {Listener} drain deadline passed; closing {Count} connections", Name, runs.Length);
        }
        _hardStop.Cancel();
        // Sessions see the hard stop at once; wait (briefly) so their sockets are closed when this returns.
        await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_sweeper is not null) await _sweeper.DisposeAsync().ConfigureAwait(false);
        _log.Information("Listener {Listener} stopped", Name);
    }

    /// <summary>Stops without waiting for a drain beyond the configured deadline.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopAccepting.Dispose();
        _hardStop.Dispose();
    }
}
