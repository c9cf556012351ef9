using Switch.Iso8583.Vocabulary;
using System.Net;
using System.Net.Sockets;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Switch.Iso8583.Message;
using Switch.Network.Acceptor;
using Switch.Network.Connector;
using Switch.Network.Management;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>Echo failures, peer-initiated 0800s, backoff, and what the logs may say.</summary>
public sealed class NetworkManagementTests
{
    [Fact]
    public async Task Echo_tests_that_go_unanswered_drop_and_re_establish_the_connection()
    {
        await using var listener = await TestSupport.StartListenerAsync(handler: new SilentOnEchoHandler());
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.NetworkManagement.EchoIntervalMs = 30;
        options.NetworkManagement.ResponseTimeoutMs = 100;
        options.NetworkManagement.EchoFailuresMax = 2;
        await using var connector = await ConnectorSupport.StartAsync(options);
        await WaitFor.ConditionAsync(() => listener.Metrics.Snapshot().ConnectionsOpened >= 2);
        await WaitFor.ConditionAsync(() => connector.IsUsable);
    }

    [Fact]
    public async Task A_connector_answers_the_peers_own_echo_test()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var options = ConnectorSupport.Options((IPEndPoint)server.LocalEndpoint);
        await using var connector = await ConnectorSupport.StartAsync(options, waitUsable: false);
        using var cts = new CancellationTokenSource(TestSupport.Timeout);
        using var socket = await server.AcceptSocketAsync(cts.Token);
        await using var peer = RawClient.Wrap(socket);
        var signOn = await peer.ReadMessageAsync();
        Assert.Equal("001", signOn?[70]);
        await peer.SendMessageAsync(MessageTypes.Respond(signOn!, ResponseCode.Approved));
        Assert.True(await connector.WaitUsableAsync(TestSupport.Timeout, CancellationToken.None));
        await peer.SendMessageAsync(TestSupport.Echo("424242"));
        var answer = await peer.ReadMessageAsync();
        Assert.Equal("0810", answer?.Mti);
        Assert.Equal("424242", answer?[11]);
        Assert.Equal("00", answer?[39]);
    }

    [Fact]
    public async Task A_stopping_connector_signs_off()
    {
        var seen = new RecordingHandler();
        await using var listener = await TestSupport.StartListenerAsync(handler: seen);
        var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        await connector.DisposeAsync();
        Assert.Equal(["001", "002"], seen.NetworkCodes);
    }

    [Fact]
    public void Backoff_doubles_up_to_its_cap_with_jitter_and_resets()
    {
        var backoff = new Backoff(100, 1000);
        double[] expectedBaseMs = [100, 200, 400, 800, 1000, 1000];
        foreach (double baseMs in expectedBaseMs) Assert.InRange(backoff.Next().TotalMilliseconds, baseMs / 2, baseMs);
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public async Task Timeout_logs_carry_the_masked_pan_never_the_full_one()
    {
        var sink = new CollectingSink();
        using var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000001", TimeSpan.FromMilliseconds(300));
        var listenerOptions = TestSupport.ListenerOptions();
        await using var listener = new IsoListener(listenerOptions, TestSupport.Specs, handler, logger);
        listener.Start();
        await using var connector = new IsoConnector(ConnectorSupport.Options(listener.LocalEndPoint), TestSupport.Specs, logger);
        connector.Start();
        Assert.True(await connector.WaitUsableAsync(TestSupport.Timeout, CancellationToken.None));
        var result = await connector.SendAsync(TestSupport.Authorization("000001"), TimeSpan.FromMilliseconds(50));
        Assert.Equal(MuxStatus.TimedOut, result.Status);
        string text = sink.Text();
        Assert.Contains("411111******1111", text, StringComparison.Ordinal);
        Assert.DoesNotContain("4111111111111111", text, StringComparison.Ordinal);
    }

    private sealed class SilentOnEchoHandler : IMessageHandler
    {
        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct) =>
            ValueTask.FromResult(request[70] == MessageTypes.EchoTest ? null : (IsoMessage?)MessageTypes.Respond(request, ResponseCode.Approved));
    }

    private sealed class RecordingHandler : IMessageHandler
    {
        private readonly List<string> _codes = [];

        public IReadOnlyList<string> NetworkCodes
        {
            get
            {
                lock (_codes) return [.. _codes];
            }
        }

        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
        {
            lock (_codes) _codes.Add(request[70] ?? "");
            return ValueTask.FromResult<IsoMessage?>(MessageTypes.Respond(request, ResponseCode.Approved));
        }
    }

    private sealed class CollectingSink : ILogEventSink
    {
        private readonly List<string> _lines = [];

        public void Emit(LogEvent logEvent)
        {
            lock (_lines) _lines.Add(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) + " " + string.Join(" ", logEvent.Properties.Values));
        }

        public string Text()
        {
            lock (_lines) return string.Join("\n", _lines);
        }
    }
}
