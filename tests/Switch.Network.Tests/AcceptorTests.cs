using Switch.Iso8583.Vocabulary;
using System.Net.Sockets;
using Switch.Iso8583.Message;
using Switch.Network.Acceptor;
using Switch.Network.Management;

namespace Switch.Network.Tests;

/// <summary>The acceptor answers network management, serves many requests per connection, and shuts down gracefully.</summary>
public sealed class AcceptorTests
{
    [Theory]
    [InlineData(MessageTypes.EchoTest)]
    [InlineData(MessageTypes.SignOn)]
    [InlineData(MessageTypes.SignOff)]
    public async Task An_0800_is_answered_with_0810_and_DE39_00(string code)
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Echo("000123", code));
        var response = await client.ReadMessageAsync();
        Assert.NotNull(response);
        Assert.Equal("0810", response.Mti);
        Assert.Equal("00", response[39]);
        Assert.Equal("000123", response[11]);
        Assert.Equal(code, response[70]);
    }

    [Fact]
    public async Task Frames_sent_one_byte_at_a_time_over_the_socket_are_answered()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var frame = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000001")));
        foreach (byte b in frame)
        {
            await client.SendAsync([b]);
            await Task.Delay(1);
        }
        Assert.Equal("0810", (await client.ReadMessageAsync())?.Mti);
    }

    [Fact]
    public async Task Many_frames_in_one_send_are_each_answered_in_order()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var wire = Enumerable.Range(1, 50).SelectMany(i => TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo(i.ToString("D6"))))).ToArray();
        await client.SendAsync(wire);
        for (int i = 1; i <= 50; i++) Assert.Equal(i.ToString("D6"), (await client.ReadMessageAsync())?[11]);
    }

    [Fact]
    public async Task A_request_without_a_pipeline_is_declined_with_DE39_91()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Authorization("000777"));
        var response = await client.ReadMessageAsync();
        Assert.Equal("0210", response?.Mti);
        Assert.Equal("91", response?[39]);
        Assert.Equal("000777", response?[11]);
    }

    [Fact]
    public async Task A_slow_handler_is_answered_asynchronously_while_other_requests_proceed()
    {
        var handler = new DelayingHandler(slowStan: "000001", TimeSpan.FromMilliseconds(300));
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Authorization("000001"));
        await client.SendMessageAsync(TestSupport.Authorization("000002"));
        Assert.Equal("000002", (await client.ReadMessageAsync())?[11]);
        Assert.Equal("000001", (await client.ReadMessageAsync())?[11]);
    }

    [Fact]
    public async Task In_flight_limit_stops_reading_until_a_request_completes()
    {
        var gate = new GateHandler();
        var options = TestSupport.ListenerOptions();
        options.Limits.InFlightPerConnectionMax = 2;
        await using var listener = await TestSupport.StartListenerAsync(options, gate);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        for (int i = 1; i <= 5; i++) await client.SendMessageAsync(TestSupport.Authorization(i.ToString("D6")));
        await Task.Delay(300);
        Assert.Equal(2, gate.Started);
        gate.Open();
        for (int i = 0; i < 5; i++) Assert.NotNull(await client.ReadMessageAsync());
        Assert.Equal(5, gate.Started);
    }

    [Fact]
    public async Task A_request_sent_before_half_close_is_still_answered()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Echo("000042"));
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("000042", (await client.ReadMessageAsync())?[11]);
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
    }

    [Fact]
    public async Task Graceful_shutdown_answers_in_flight_requests_then_closes()
    {
        var handler = new DelayingHandler(slowStan: "000009", TimeSpan.FromMilliseconds(400));
        var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Authorization("000009"));
        // Shutdown must begin while the request is in the handler (not merely on the wire): a fixed pause
        // was not enough under load, and a request still unread at shutdown is rightly never read.
        await handler.Started.WaitAsync(TestSupport.Timeout);
        var stop = listener.StopAsync(CancellationToken.None);
        Assert.Equal("000009", (await client.ReadMessageAsync())?[11]);
        await stop.WaitAsync(TestSupport.Timeout);
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAnyAsync<SocketException>(async () => await late.ConnectAsync(listener.LocalEndPoint));
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_count_connections_frames_and_bytes()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using (var client = await RawClient.ConnectAsync(listener.LocalEndPoint))
        {
            await client.SendMessageAsync(TestSupport.Echo("000001"));
            await client.ReadMessageAsync();
        }
        await WaitFor.ConditionAsync(() => listener.Metrics.Snapshot().ConnectionsClosed == 1);
        var m = listener.Metrics.Snapshot();
        Assert.Equal(1, m.ConnectionsOpened);
        Assert.Equal(1, m.FramesIn);
        Assert.Equal(1, m.FramesOut);
        Assert.True(m.BytesIn > 10 && m.BytesOut > 10);
        Assert.Equal(0, m.ConnectionsOpen);
    }

    internal sealed class DelayingHandler(string slowStan, TimeSpan delay) : IMessageHandler
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the slow request has reached the handler.</summary>
        public Task Started => _started.Task;

        public async ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
        {
            if (request[11] == slowStan)
            {
                _started.TrySetResult();
                await Task.Delay(delay, ct);
            }
            return MessageTypes.Respond(request, ResponseCode.Approved);
        }
    }

    private sealed class GateHandler : IMessageHandler
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public void Open() => _open.TrySetResult();

        public async ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
        {
            Interlocked.Increment(ref _started);
            await _open.Task.WaitAsync(ct);
            return MessageTypes.Respond(request, ResponseCode.Approved);
        }
    }
}

/// <summary>Polling with a deadline, for effects that happen on another thread.</summary>
internal static class WaitFor
{
    public static async Task ConditionAsync(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TestSupport.Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(10);
        }
    }
}

/// <summary>Limits that must not misfire: a peer waiting for slow answers is not idle; a drain has a deadline.</summary>
public sealed class AcceptorLimitTests
{
    [Fact]
    public async Task A_peer_waiting_for_a_slow_answer_is_not_closed_as_idle()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000001", TimeSpan.FromMilliseconds(1200));
        var options = TestSupport.ListenerOptions();
        options.Limits.IdleTimeoutMs = 400;
        await using var listener = await TestSupport.StartListenerAsync(options, handler);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Authorization("000001"));
        Assert.Equal("000001", (await client.ReadMessageAsync())?[11]);
        Assert.True(await client.ClosedByPeerAsync(TimeSpan.FromSeconds(3)), "idle after the answer, the connection should close");
    }

    [Fact]
    public async Task Shutdown_closes_connections_at_the_drain_deadline_when_a_handler_never_answers()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000001", TimeSpan.FromMinutes(10));
        var options = TestSupport.ListenerOptions();
        options.Limits.DrainTimeoutMs = 300;
        var listener = await TestSupport.StartListenerAsync(options, handler);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Authorization("000001"));
        await Task.Delay(100);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await listener.DisposeAsync();
        Assert.InRange(watch.ElapsedMilliseconds, 200, 4000);
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
    }
}
