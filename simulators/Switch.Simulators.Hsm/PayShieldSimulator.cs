using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Serilog;
using Switch.Security.Backends.PayShield;
using Switch.Security.Keys;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;

namespace Switch.Simulators.Hsm;

/// <summary>Settings of the payShield simulator.</summary>
public sealed record PayShieldSimulatorOptions
{
    /// <summary>TCP port on 127.0.0.1 (0 picks a free one).</summary>
    public int Port { get; init; }

    /// <summary>Length of the message header the client sends and the simulator echoes.</summary>
    public int HeaderLength { get; init; } = 4;

    /// <summary>Most concurrent client connections.</summary>
    public int ConnectionsMax { get; init; } = 64;

    /// <summary>A connection that sends nothing for this long is closed (a half-open client must not hold a slot).</summary>
    public int IdleTimeoutMs { get; init; } = 10 * 60 * 1000;

    /// <summary>
    /// Answer only commands a real payShield has: the ◆ simulator-only test commands (ZA ARQC generation, ZC/ZE DUKPT
    /// key derivation) then get error ZZ like any unknown command. Off by default: the simulator is test tooling.
    /// </summary>
    public bool ProductionCommandsOnly { get; init; }
}

/// <summary>
/// A payShield-style HSM on loopback: speaks the host command protocol (see docs/hsm.md for each command's layout)
/// and answers with the software back end under its own LMK. Certification testers' real payShields speak the same
/// protocol to the same client.
/// </summary>
public sealed class PayShieldSimulator : IAsyncDisposable
{
    private readonly PayShieldSimulatorOptions _options;
    private readonly Lmk _lmk;
    private readonly PayShieldCommandProcessor _processor;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly PayShieldLinkCounters _counters = new();
    private Task? _acceptLoop;
    private int _connectionCount;

    /// <summary>Creates the simulator; call <see cref="Start"/> to listen.</summary>
    public PayShieldSimulator(Lmk lmk, PayShieldSimulatorOptions options)
    {
        _lmk = lmk;
        _options = options;
        _processor = new PayShieldCommandProcessor(lmk, options.HeaderLength, testCommands: !options.ProductionCommandsOnly);
        _listener = new TcpListener(IPAddress.Loopback, options.Port);
    }

    /// <summary>Extra delay before each batch of responses (fault injection for F16: a slow HSM).</summary>
    public int ResponseDelayMs { get; set; }

    /// <summary>The bound port (after <see cref="Start"/>).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Frames sent and idle closes on the simulator's connections.</summary>
    public PayShieldLinkCounters Counters => _counters;

    /// <summary>Commands answered so far.</summary>
    public long CommandsHandled => _processor.CommandsHandled;

    /// <summary>Binds 127.0.0.1 and starts accepting connections.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
        Log.Information("payShield simulator listening on 127.0.0.1:{Port}, LMK check value {LmkKcv}, test commands {TestCommands}",
            Port, _lmk.CheckValue, _options.ProductionCommandsOnly ? "off" : "on (ZA, ZC, ZE)");
    }

    /// <summary>Handles one command message (header + code + fields) and returns the response message.</summary>
    public string Handle(string message) => _processor.Handle(message);

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys).ConfigureAwait(false);
        await _processor.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (Interlocked.Increment(ref _connectionCount) > _options.ConnectionsMax)
            {
                Interlocked.Decrement(ref _connectionCount);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            Task t = ServeAsync(socket, ct);
            _connections.TryAdd(t, 0);
            _ = t.ContinueWith(done => _connections.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    // One connection on Switch.Transport's FramedConnection, with its idle and partial-frame deadlines swept here.
    private async Task ServeAsync(Socket socket, CancellationToken ct)
    {
        try
        {
            var connection = FramedConnection.FromSocket(socket, PayShieldLink.Format, _counters, _options.IdleTimeoutMs, _options.IdleTimeoutMs);
            await using (connection.ConfigureAwait(false))
            {
                int sweepMs = Math.Clamp(_options.IdleTimeoutMs / 4, 10, 1000);
                using var stopping = ct.Register(static state => ((FramedConnection)state!).Abort("simulator stopping"), connection);
                using var sweep = new Timer(static state => ((FramedConnection)state!).CheckDeadlines(Environment.TickCount64), connection, sweepMs, sweepMs);
                await ServeFramesAsync(connection, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away or the simulator is stopping; the socket may not have been wrapped yet.
            socket.Dispose();
        }
        finally
        {
            Interlocked.Decrement(ref _connectionCount);
        }
    }

    // Answers every complete frame that has arrived, then writes all answers with one flush: pipelined clients get
    // their responses in order with few system calls. A malformed frame (zero length, oversize) closes the connection.
    private async Task ServeFramesAsync(FramedConnection connection, CancellationToken ct)
    {
        var responses = new List<string>();
        while (true)
        {
            ReadResult result = await connection.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            bool progressed = false;
            responses.Clear();
            try
            {
                while (connection.Format.TryReadMessage(ref buffer, default, out var message))
                {
                    progressed = true;
                    responses.Add(_processor.Handle(PayShieldLink.Text(message)));
                }
            }
            catch (FrameFormatException ex)
            {
                Log.Warning("payShield simulator closed a connection from {Remote}: malformed frame: {Reason}", connection.RemoteEndPoint, ex.Reason);
                connection.Abort($"malformed frame: {ex.Reason}");
                return;
            }
            finally
            {
                connection.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: !buffer.IsEmpty, progressed);
            }
            if (responses.Count > 0) await AnswerAsync(connection, responses, ct).ConfigureAwait(false);
            if (result.IsCompleted) return;
        }
    }

    private async Task AnswerAsync(FramedConnection connection, List<string> responses, CancellationToken ct)
    {
        if (ResponseDelayMs > 0) await Task.Delay(ResponseDelayMs, ct).ConfigureAwait(false);
        await connection.EnterWriteAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (string response in responses) connection.WriteFrame(default, PayShieldLink.Bytes(response));
            await connection.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            connection.ExitWrite();
        }
    }
}
