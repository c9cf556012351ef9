using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Switch.Transport.Framing;

namespace Switch.Simulators.Card;

/// <summary>
/// A framed raw echo (the ceiling for load comparisons): every frame received is sent back whole, unparsed, on the
/// connection it came on. Frames are checked against the framing's limits; a bad frame closes the connection.
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly FrameFormat _format;
    private readonly string _bind;
    private readonly int _port;
    private readonly int _connectionsMax;
    private readonly ConcurrentDictionary<FramedStream, Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private long _frames;
    private int _stopped;

    /// <summary>Creates an echo server for a framing (binary2, …; header none or tpdu) on bind:port (0: a free port).</summary>
    public EchoServer(string framing = "binary2", string header = "none", int port = 0, string bind = "127.0.0.1", int connectionsMax = 1024, int frameBytesMax = 8192)
    {
        if (port is < 0 or > 65535) throw new ArgumentException($"port {port} is outside 0-65535");
        if (connectionsMax < 1) throw new ArgumentException("connectionsMax must be at least 1");
        // The echo never parses messages; the spec only serves framing "none" (messages that delimit themselves).
        _format = SimWire.Framing(framing, header, SimWire.Spec(SimWire.DefaultSpec), frameBytesMax);
        _bind = bind;
        _port = port;
        _connectionsMax = connectionsMax;
    }

    /// <summary>The bound port.</summary>
    public int Port => ((IPEndPoint?)_listener?.LocalEndPoint ?? throw new InvalidOperationException("the echo server is not started")).Port;

    /// <summary>Frames echoed since start.</summary>
    public long FramesEchoed => Interlocked.Read(ref _frames);

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("the echo server is already started");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(_bind), _port));
            socket.Listen(1024);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (_connections.Count >= _connectionsMax)
            {
                client.Dispose();
                continue;
            }
            var conn = new FramedStream(client, _format);
            _connections[conn] = Task.Run(() => EchoAsync(conn));
        }
    }

    private async Task EchoAsync(FramedStream conn)
    {
        var header = new byte[_format.Header.Length];
        try
        {
            while (true)
            {
                byte[]? message = await conn.ReadMessageAsync(header, _stop.Token).ConfigureAwait(false);
                if (message is null) break;
                Interlocked.Increment(ref _frames);
                await conn.WriteMessageAsync(header, message, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or FrameFormatException)
        {
            // Closed, stopping, or a bad frame: the connection ends.
        }
        finally
        {
            conn.Close();
            _connections.TryRemove(conn, out _);
            await conn.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting and closes every connection.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var conn in _connections.Keys) conn.Close();
        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
