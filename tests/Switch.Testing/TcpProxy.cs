using System.Net;
using System.Net.Sockets;

namespace Switch.Testing;

/// <summary>
/// A loopback TCP forwarder in front of the shared Postgres, so a test can make "Postgres" vanish for one client
/// (every connection cut, the port refusing) and come back on the same port, without stopping the shared cluster.
/// Shared by the routing and master-data listener tests.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly List<Socket> _sockets = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;
    private Task? _accepting;

    public TcpProxy(int targetPort) => _target = new IPEndPoint(IPAddress.Loopback, targetPort);

    /// <summary>The port clients connect to (fixed after the first start).</summary>
    public int Port { get; private set; }

    /// <summary>Starts accepting on <see cref="Port"/> (a free port the first time).</summary>
    public void Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _stop = new CancellationTokenSource();
        _accepting = AcceptAsync(listener, _stop.Token);
    }

    /// <summary>Stops accepting and cuts every forwarded connection.</summary>
    public async Task StopAsync()
    {
        if (_listener is null) return;
        await _stop!.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var s in _sockets) s.Dispose();
            _sockets.Clear();
        }
        try { await _accepting!; } catch (OperationCanceledException) { } catch (SocketException) { } catch (ObjectDisposedException) { }
        _stop.Dispose();
        _listener = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client = await listener.AcceptSocketAsync(stop);
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(server);
            }
            _ = ForwardAsync(client, server, stop);
        }
    }

    private async Task ForwardAsync(Socket client, Socket server, CancellationToken stop)
    {
        try
        {
            await server.ConnectAsync(_target, stop);
            await using var a = new NetworkStream(client, ownsSocket: false);
            await using var b = new NetworkStream(server, ownsSocket: false);
            await Task.WhenAny(a.CopyToAsync(b, stop), b.CopyToAsync(a, stop));
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A cut connection ends its forwarding; the client sees the close.
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
