using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Serilog;
using Switch.Security.Backends.PayShield;
using Switch.Security.Keys;

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

    // Reads whatever has arrived, answers every complete frame in it, and writes all answers with one send:
    // pipelined clients get their responses in order with few system calls.
    private async Task ServeAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[2 * (PayShieldFraming.MessageBytesMax + 2)];
        var output = new ArrayBufferWriter<byte>(16 * 1024);
        int filled = 0;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            while (!ct.IsCancellationRequested)
            {
                idle.CancelAfter(_options.IdleTimeoutMs);
                int n = await stream.ReadAsync(buffer.AsMemory(filled), idle.Token).ConfigureAwait(false);
                if (n == 0) return;
                filled += n;
                int offset = 0;
                output.ResetWrittenCount();
                while (true)
                {
                    PayShieldFrameStatus status = PayShieldFraming.TryParse(buffer.AsSpan(offset, filled - offset), out int frameBytes, out string? request);
                    if (status == PayShieldFrameStatus.Invalid) return;
                    if (status == PayShieldFrameStatus.Incomplete) break;
                    PayShieldFraming.Append(output, _processor.Handle(request!));
                    offset += frameBytes;
                }
                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
                if (output.WrittenCount == 0) continue;
                if (ResponseDelayMs > 0) await Task.Delay(ResponseDelayMs, ct).ConfigureAwait(false);
                await stream.WriteAsync(output.WrittenMemory, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the simulator is stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _connectionCount);
        }
    }
}
