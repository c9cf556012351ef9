using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switch.Admin.Tests;

/// <summary>The HTTP surface: liveness, only GET on three paths, no bodies, small headers, few connections.</summary>
public sealed class HttpSurfaceTests
{
    [Fact]
    public async Task Live_answers_200_with_status_live()
    {
        await using var host = await AdminHost.StartAsync();
        var (status, body, type) = await host.GetAsync("/health/live");
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"live"}""", body);
        Assert.Equal("application/json", type);
    }

    [Fact]
    public async Task Port_zero_binds_a_free_port_and_exposes_it()
    {
        await using var host = await AdminHost.StartAsync();
        Assert.InRange(host.Server.Port, 1, 65_535);
        Assert.True(host.Server.IsRunning);
    }

    [Fact]
    public async Task An_unknown_path_is_404()
    {
        await using var host = await AdminHost.StartAsync();
        Assert.Equal(404, (await host.GetAsync("/admin")).Status);
        Assert.Equal(404, (await host.GetAsync("/health")).Status);
        Assert.Equal(404, (await host.GetAsync("/metrics/extra")).Status);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    public async Task A_post_without_a_body_is_405(string path)
    {
        await using var host = await AdminHost.StartAsync();
        using var response = await host.Http.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task A_request_with_a_body_is_refused_413()
    {
        await using var host = await AdminHost.StartAsync();
        using var content = new StringContent("{\"x\":1}", Encoding.UTF8, "application/json");
        using var response = await host.Http.PostAsync("/health/live", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Oversized_headers_are_refused_431()
    {
        await using var host = await AdminHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add("X-Big", new string('a', AdminServer.HeaderBytesMax + 100));
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Connections_past_the_maximum_are_not_served()
    {
        await using var host = await AdminHost.StartAsync(options: AdminHost.Options(connectionsMax: 2));
        // Two idle connections hold both slots (an unfinished request line keeps them open).
        using var a = await OpenPartialAsync(host.Server.Port);
        using var b = await OpenPartialAsync(host.Server.Port);
        await Task.Delay(200);
        await Assert.ThrowsAsync<HttpRequestException>(() => host.Http.GetAsync("/health/live"));
        a.Dispose();
        b.Dispose();
        // Freed slots serve again.
        await WaitFor.ConditionAsync(() => TryLive(host).GetAwaiter().GetResult(), "a freed connection slot");
    }

    private static async Task<bool> TryLive(AdminHost host)
    {
        try
        {
            using var fresh = new HttpClient { BaseAddress = host.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            return (await fresh.GetAsync("/health/live")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<Socket> OpenPartialAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /health/live HTTP/1.1\r\n"));
        return socket;
    }

    [Fact]
    public async Task A_disabled_endpoint_listens_nowhere()
    {
        var options = new AdminOptions { Enabled = false, Port = 0 };
        await using var server = new AdminServer(options, [], new Metrics.PrometheusCoreMetrics(), TestLog.Logger);
        await server.StartAsync(CancellationToken.None);
        Assert.False(server.IsRunning);
        Assert.Throws<InvalidOperationException>(() => server.Port);
    }

    [Fact]
    public async Task After_dispose_the_port_refuses_connections()
    {
        var host = await AdminHost.StartAsync();
        int port = host.Server.Port;
        await host.DisposeAsync();
        Assert.False(host.Server.IsRunning);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var ex = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start()
    {
        await using var first = await AdminHost.StartAsync();
        var options = new AdminOptions { Port = first.Server.Port };
        await using var second = new AdminServer(options, [], new Metrics.PrometheusCoreMetrics(), TestLog.Logger);
        await Assert.ThrowsAnyAsync<IOException>(() => second.StartAsync(CancellationToken.None));
        Assert.False(second.IsRunning);
        int port = first.Server.Port;
        await first.DisposeAsync();
        // The failed start left nothing behind: the same server starts once the port is free.
        await second.StartAsync(CancellationToken.None);
        Assert.Equal(port, second.Port);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_disconnected()
    {
        await using var host = await AdminHost.StartAsync();
        using var socket = await OpenPartialAsync(host.Server.Port);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(AdminHost.Timeout);
        var buffer = new byte[1024];
        int n;
        try
        {
            // Kestrel answers 408 (or just closes) once the header timeout passed; then the socket reads 0.
            while ((n = await socket.ReceiveAsync(buffer, cts.Token)) > 0) { }
        }
        catch (SocketException)
        {
            // A reset is a disconnection too.
        }
        Assert.InRange(sw.ElapsedMilliseconds, 3_000, 15_000);
    }
}
