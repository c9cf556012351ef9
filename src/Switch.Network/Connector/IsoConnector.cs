using Switch.Iso8583.Vocabulary;
using System.Globalization;
using Serilog;
using Switch.Iso8583;
using Switch.Common.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Framing;
using Switch.Network.Management;
using Switch.Network.Metrics;
using Switch.Network.Mux;

namespace Switch.Network.Connector;

/// <summary>
/// An outbound destination (issuer, acquirer, scheme): keeps its connections up, signs on, echoes,
/// and sends requests through a MUX that matches responses, times out, refuses duplicates and
/// surfaces late replies. Routing reads <see cref="Health"/>.
/// </summary>
public sealed class IsoConnector : IAsyncDisposable
{
    private readonly ConnectorOptions _options;
    private readonly ILogger _log;
    private readonly ConnectorChannel[] _channels;
    private readonly IMessageHandler _peerHandler;
    private readonly byte[] _outgoingHeader;
    private readonly CancellationTokenSource _stop = new();
    private Task[] _running = [];
    private Timer? _sweeper;
    private int _roundRobin;
    private int _stan;

    /// <summary>Creates a connector from validated options; <paramref name="peerHandler"/> answers requests the peer sends (default: network management).</summary>
    public IsoConnector(ConnectorOptions options, ILogger? logger = null, IMessageHandler? peerHandler = null)
    {
        _options = options;
        _log = (logger ?? Log.Logger).ForContext<IsoConnector>().ForContext("Connector", options.Name);
        Spec = SpecCatalog.Resolve(options.Spec);
        Format = FramingFactory.Create(options.Framing, Spec);
        _outgoingHeader = Format.Header.Length == 0 ? [] : Convert.FromHexString(options.Framing.OutgoingHeaderHex ?? "");
        Metrics = new NetworkMetrics(options.Name);
        // A timed-out key stays blocked for twice the timeout: a late reply then cannot reach a new request.
        Mux = new IsoMux(new MuxKey(options.Mux.KeyFields), options.Mux.MaxPending, Metrics, options.Name, lateWindowMs: 2 * options.Mux.TimeoutMs);
        Mux.RequestTimedOut = LogTimeout;
        _peerHandler = peerHandler ?? new NetworkManagementHandler();
        _channels = options.Endpoints
            .SelectMany((endpoint, e) => Enumerable.Range(0, options.ConnectionsPerEndpoint).Select(i =>
            {
                if (!EndpointParser.TryParse(endpoint, out string host, out int port))
                    throw new ArgumentException($"connector {options.Name}: endpoint '{endpoint}' is not host:port", nameof(options));
                return new ConnectorChannel(this, options, host, port, (e * options.ConnectionsPerEndpoint) + i, _log);
            }))
            .ToArray();
        _stan = Random.Shared.Next(0, 999_999);
    }

    /// <summary>Connector name.</summary>
    public string Name => _options.Name;

    /// <summary>Counters of this connector.</summary>
    public NetworkMetrics Metrics { get; }

    /// <summary>The pending table; subscribe to <see cref="IsoMux.LateResponse"/> to reverse late approvals.</summary>
    public IsoMux Mux { get; }

    /// <summary>The dialect.</summary>
    public MessageSpec Spec { get; }

    /// <summary>The framing.</summary>
    public FrameFormat Format { get; }

    /// <summary>State of each connection, in configuration order.</summary>
    public IReadOnlyList<ChannelState> ChannelStates => _channels.Select(c => c.State).ToArray();

    /// <summary>The endpoint health routing reads.</summary>
    public EndpointHealth Health
    {
        get
        {
            int usable = 0, connected = 0, healthy = 0;
            foreach (var c in _channels)
            {
                if (c.State >= ChannelState.Connected) connected++;
                if (!c.Usable) continue;
                usable++;
                if (c.EchoFailures == 0) healthy++;
            }
            if (usable == 0) return connected == 0 ? EndpointHealth.Down : EndpointHealth.Up;
            if (healthy < _channels.Length) return EndpointHealth.Degraded;
            return _options.NetworkManagement.SignOnRequired ? EndpointHealth.SignedOn : EndpointHealth.Up;
        }
    }

    /// <summary>True when at least one connection can carry requests.</summary>
    public bool IsUsable => _channels.Any(c => c.Usable);

    /// <summary>Starts connecting every channel.</summary>
    public void Start()
    {
        if (_running.Length > 0) throw new InvalidOperationException($"connector {Name} already started");
        _running = _channels.Select(c => c.RunAsync(_stop.Token)).ToArray();
        int sweepMs = Math.Clamp(_options.Limits.PartialFrameTimeoutMs / 4, 20, 1000);
        _sweeper = new Timer(_ => Sweep(), null, sweepMs, sweepMs);
        _log.Information("Connector {Connector} started: {Endpoints} x {Connections}, {Strategy}", Name, string.Join(", ", _options.Endpoints),
            _options.ConnectionsPerEndpoint, _options.Strategy);
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (var c in _channels) c.Connection?.CheckDeadlines(now);
    }

    /// <summary>Waits until a connection is usable (signed on when required); false at the timeout.</summary>
    public async Task<bool> WaitUsableAsync(TimeSpan timeout, CancellationToken ct)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!IsUsable)
        {
            if (Environment.TickCount64 > deadline) return false;
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>A new STAN (DE 11), cycling 000001–999999.</summary>
    public string NextStan()
    {
        int n = (int)((uint)Interlocked.Increment(ref _stan) % 999_999) + 1;
        return n.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Sends a request and waits for its response (default timeout from configuration). Never throws
    /// for network conditions: the result says answered, timed out, refused (duplicate key, full
    /// table, no connection) or send failed. Cancelling <paramref name="ct"/> throws.
    /// </summary>
    public ValueTask<MuxResult> SendAsync(IsoMessage request, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var channel = Pick();
        if (channel is null)
            return ValueTask.FromResult(new MuxResult(MuxStatus.NotConnected, null, $"connector {Name} has no usable connection", null));
        return SendOnAsync(channel, request, timeout ?? TimeSpan.FromMilliseconds(_options.Mux.TimeoutMs), ct);
    }

    private ConnectorChannel? Pick()
    {
        int n = _channels.Length;
        int start = _options.Strategy == "primary-backup" ? 0 : (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)n);
        for (int i = 0; i < n; i++)
        {
            var c = _channels[(start + i) % n];
            if (c.Usable) return c;
        }
        return null;
    }

    /// <summary>Registers, queues and awaits; only the wait is asynchronous (one state machine per request).</summary>
    internal ValueTask<MuxResult> SendOnAsync(ConnectorChannel channel, IsoMessage request, TimeSpan timeout, CancellationToken ct)
    {
        var status = Mux.TryRegister(request, timeout, out string? key, out var pending);
        if (pending is null) return ValueTask.FromResult(new MuxResult(status, null, Refusal(status, request, key), key));
        var conn = channel.Connection;
        bool queued;
        try
        {
            queued = conn is not null && conn.Enqueue(request, _outgoingHeader);
        }
        catch (Exception ex) when (ex is IsoFormatException or FrameFormatException)
        {
            Mux.Cancel(pending);
            return ValueTask.FromResult(new MuxResult(MuxStatus.SendFailed, null, $"request cannot be encoded: {ex.Message}", key));
        }
        if (!queued)
        {
            Mux.Cancel(pending);
            return ValueTask.FromResult(new MuxResult(MuxStatus.SendFailed, null, $"connection to {channel.Host}:{channel.Port} is closing", key));
        }
        // Without a token the caller awaits the pending request itself: no state machine per request.
        return ct.CanBeCanceled ? AwaitResponseAsync(pending, ct) : pending.AsValueTask();
    }

    private async ValueTask<MuxResult> AwaitResponseAsync(PendingRequest pending, CancellationToken ct)
    {
        try
        {
            return await pending.AsValueTask().AsTask().WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Mux.Cancel(pending);
            throw;
        }
    }

    /// <summary>A request timed out; a late answer can still arrive: the core must reverse it (the LateResponse event carries it).</summary>
    private void LogTimeout(PendingRequest pending)
    {
        var request = pending.Request;
        _log.Warning("Connector {Connector}: no response to {Mti} STAN {Stan} PAN {Pan} within {TimeoutMs} ms",
            Name, request.Mti, request.GetString(11), MaskedPan(request), pending.TimeoutMs);
    }

    private static string? MaskedPan(IsoMessage message) =>
        message.Has(2) ? PanMask.Mask(message.GetString(2)) : null;

    private string Refusal(MuxStatus status, IsoMessage request, string? key) => status switch
    {
        MuxStatus.DuplicateInFlight => $"a request with key {key} is already in flight on connector {Name}; refusing rather than mixing replies",
        MuxStatus.PendingTableFull => $"connector {Name} has {Mux.MaxPending} requests pending (the maximum)",
        MuxStatus.NotARequest => $"MTI {request.Mti} is not a request",
        MuxStatus.KeyRecentlyTimedOut => $"a request with key {key} timed out recently on connector {Name}; its late reply could be taken for this one's",
        _ => status.ToString(),
    };

    /// <summary>One 0800 exchange on a given channel; ok when answered with DE 39 = 00.</summary>
    internal async Task<(bool ok, string reason)> ExchangeNetworkAsync(ConnectorChannel channel, string code, CancellationToken ct)
    {
        var request = Spec.NewMessage("0800")
            .Set(7, DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture))
            .Set(11, NextStan())
            .Set(70, code);
        if (_options.NetworkManagement.TerminalId is { } tid) request.Set(41, tid);
        var result = await SendOnAsync(channel, request, TimeSpan.FromMilliseconds(_options.NetworkManagement.ResponseTimeoutMs), ct).ConfigureAwait(false);
        if (!result.IsAnswered) return (false, result.Error ?? result.Status.ToString());
        string? rc = result.Response!.GetString(39);
        return rc == ResponseCode.Approved ? (true, "") : (false, $"answered with DE39={rc}");
    }

    /// <summary>Answers a request the peer started (e.g. the issuer's own echo test).</summary>
    internal async Task AnswerPeerRequestAsync(FramedConnection conn, IsoMessage request, byte[] receivedHeader)
    {
        try
        {
            var response = await _peerHandler.HandleAsync(request, new SessionContext(Name, 0, conn.RemoteEndPoint), _stop.Token).ConfigureAwait(false);
            if (response is null) return;
            var header = new byte[receivedHeader.Length];
            Format.Header.WriteReply(receivedHeader, header);
            await conn.SendAsync(response, header, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IsoFormatException or FrameFormatException)
        {
            _log.Warning("Connector {Connector}: peer request {Mti} not answered: {Reason}", Name, request.Mti, ex.Message);
        }
    }

    /// <summary>Signs off (best effort, bounded by the network response timeout), then closes every connection.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        if (_stop.IsCancellationRequested) return;
        using var signOff = CancellationTokenSource.CreateLinkedTokenSource(ct);
        signOff.CancelAfter(_options.NetworkManagement.ResponseTimeoutMs);
        try
        {
            await Task.WhenAll(_channels.Select(c => c.SignOffAsync(signOff.Token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _log.Warning("Connector {Connector}: sign-off not acknowledged in time", Name);
        }
        _stop.Cancel();
        if (_sweeper is not null) await _sweeper.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Mux.FailAll();
        Mux.Dispose();
        _log.Information("Connector {Connector} stopped", Name);
    }

    /// <summary>Stops the connector.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }
}
