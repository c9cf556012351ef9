using System.Net;
using System.Net.Sockets;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace Switch.Admin.Tests;

/// <summary>Malformed, oversized and random requests are refused without harm, and no request data reaches the log.</summary>
public sealed class HostileInputTests
{
    private const string TestPan = "4761739001010010";

    private sealed class Capture : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];
        public void Emit(LogEvent logEvent)
        {
            lock (Events) Events.Add(logEvent);
        }
    }

    private static async Task<string> RawAsync(int port, byte[] request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(AdminHost.Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        await socket.SendAsync(request, cts.Token);
        var buffer = new byte[4096];
        var answer = new StringBuilder();
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, cts.Token)) > 0) answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        catch (SocketException)
        {
            // A reset after the answer is fine: Kestrel closes a connection it refused.
        }
        return answer.ToString();
    }

    [Fact]
    public async Task A_malformed_request_line_is_400_and_the_server_goes_on()
    {
        await using var host = await AdminHost.StartAsync();
        string answer = await RawAsync(host.Server.Port, Encoding.ASCII.GetBytes("NOT HTTP AT ALL\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Equal(200, (await host.GetAsync("/health/live")).Status);
    }

    [Fact]
    public async Task Random_bytes_are_refused_and_the_server_goes_on()
    {
        await using var host = await AdminHost.StartAsync();
        var random = new Random(9102);
        for (int i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            bytes[^1] = (byte)'\n';
            string answer = await RawAsync(host.Server.Port, [.. bytes, .. "\r\n\r\n"u8]);
            Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), answer);
        }
        Assert.Equal(200, (await host.GetAsync("/health/live")).Status);
    }

    [Fact]
    public async Task A_request_line_over_the_limit_is_414()
    {
        await using var host = await AdminHost.StartAsync();
        string answer = await RawAsync(host.Server.Port,
            Encoding.ASCII.GetBytes($"GET /health/live?{new string('a', AdminServer.RequestLineBytesMax)} HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 414", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_headers_are_431()
    {
        await using var host = await AdminHost.StartAsync();
        var headers = string.Concat(Enumerable.Range(0, AdminServer.HeaderCountMax + 1).Select(i => $"X-H{i}: v\r\n"));
        string answer = await RawAsync(host.Server.Port, Encoding.ASCII.GetBytes($"GET /health/live HTTP/1.1\r\nHost: x\r\n{headers}\r\n"));
        Assert.StartsWith("HTTP/1.1 431", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_request_data_reaches_the_log()
    {
        var capture = new Capture();
        var logger = new Serilog.LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(capture).CreateLogger();
        var server = new AdminServer(AdminHost.Options(), [], new Metrics.PrometheusCoreMetrics(processMetrics: false), logger);
        await server.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}"), Timeout = AdminHost.Timeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/health/live?pan={TestPan}");
            request.Headers.Add("X-Card", TestPan);
            (await http.SendAsync(request)).Dispose();
            (await http.GetAsync($"/{TestPan}")).Dispose();
            await RawAsync(server.Port, Encoding.ASCII.GetBytes($"BAD {TestPan}\r\n\r\n"));
        }
        finally
        {
            await server.DisposeAsync();
        }
        string all;
        lock (capture.Events) all = string.Join("\n", capture.Events.Select(e => e.RenderMessage() + e.Exception));
        Assert.DoesNotContain(TestPan, all, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Card", all, StringComparison.Ordinal);
        // Only its start and stop.
        Assert.Equal(2, capture.Events.Count);
    }
}
