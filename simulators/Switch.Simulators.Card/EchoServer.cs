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
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
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
            client.NoDelay = true;
            _connections[client] = Task.Run(() => EchoAsync(client));
        }
    }

    /// <summary>
    /// Reads into one buffer and sends back every complete frame it holds in one write: the bytes are echoed as they came
    /// (prefix, header and message), nothing is allocated per frame, and a burst of pipelined frames costs one send.
    /// </summary>
    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[Math.Max(64 * 1024, 2 * (_format.OverheadBytes + _format.Length.FrameBytesMax))];
        var header = new byte[Math.Max(1, _format.Header.Length)];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0) break;
                end += n;
                int complete = CompleteFrames(buffer, start, end, header, out int frames);
                if (complete > start)
                {
                    Interlocked.Add(ref _frames, frames);
                    await socket.SendAsync(buffer.AsMemory(start, complete - start), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    start = complete;
                }
                if (start == end) start = end = 0;
                else if (end == buffer.Length)
                {
                    // A partial frame at the end of the buffer: move it to the front (it fits: the buffer holds two maximum frames).
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or FrameFormatException)
        {
            // Closed, stopping, or a bad frame: the connection ends.
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    /// <summary>The end of the last complete frame in buffer[start..end] (start when there is none); throws for a bad frame.</summary>
    private int CompleteFrames(byte[] buffer, int start, int end, byte[] header, out int frames)
    {
        frames = 0;
        var sequence = new System.Buffers.ReadOnlySequence<byte>(buffer, start, end - start);
        long total = sequence.Length;
        while (_format.TryReadMessage(ref sequence, header, out _)) frames++;
        return start + (int)(total - sequence.Length);
    }

    /// <summary>Stops accepting and closes every connection.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var socket in _connections.Keys)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
        }
        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
