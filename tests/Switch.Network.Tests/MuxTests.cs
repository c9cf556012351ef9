using Switch.Iso8583.Vocabulary;
using Switch.Iso8583.Message;
using Switch.Network.Acceptor;
using Switch.Network.Management;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>The MUX matches out-of-order replies, times out, surfaces late replies and refuses ambiguity.</summary>
public sealed class MuxTests
{
    [Fact]
    public async Task A_request_larger_than_the_maximum_frame_is_refused_at_once_and_the_connection_stays()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Framing.FrameBytesMax = 64;
        await using var connector = await ConnectorSupport.StartAsync(options);
        var big = TestSupport.Authorization("000001").Set(43, new string('X', 40));
        var refused = await connector.SendAsync(big);
        Assert.Equal(MuxStatus.SendFailed, refused.Status);
        Assert.Contains("exceeds the maximum of 64", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, connector.Mux.PendingCount);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000002"))).IsAnswered);
    }

    [Fact]
    public async Task Ten_thousand_outstanding_requests_answered_in_random_order_each_reach_their_caller()
    {
        const int count = 10_000;
        var handler = new HoldAllHandler(count);
        var listenerOptions = TestSupport.ListenerOptions();
        listenerOptions.Limits.InFlightPerConnectionMax = count;
        await using var listener = await TestSupport.StartListenerAsync(listenerOptions, handler);
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Mux.PendingMax = count;
        options.Mux.TimeoutMs = 60_000;
        await using var connector = await ConnectorSupport.StartAsync(options);
        var sends = Enumerable.Range(1, count).Select(async i =>
        {
            string stan = i.ToString("D6");
            var result = await connector.SendAsync(TestSupport.Authorization(stan, $"T{i % 7:D7}"));
            return result.IsAnswered && result.Response![11] == stan && result.Response[41] == $"T{i % 7:D7}";
        }).ToArray();
        var all = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(all, Assert.True);
        Assert.True(handler.AnsweredOutOfOrder);
        Assert.Equal(0, connector.Mux.PendingCount);
    }

    [Fact]
    public async Task A_request_without_reply_times_out_and_its_late_reply_is_raised_as_an_event()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000500", TimeSpan.FromMilliseconds(400));
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var late = new TaskCompletionSource<LateResponseEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connector.Mux.LateResponse += (_, e) => late.TrySetResult(e);
        var result = await connector.SendAsync(TestSupport.Authorization("000500"), TimeSpan.FromMilliseconds(100));
        Assert.Equal(MuxStatus.TimedOut, result.Status);
        Assert.Null(result.Response);
        var arrived = await late.Task.WaitAsync(TestSupport.Timeout);
        Assert.True(arrived.WasTimedOut);
        Assert.Equal("000500", arrived.Response[11]);
        Assert.Equal(1, connector.Metrics.Snapshot().LateResponses);
        Assert.Equal(1, connector.Metrics.Snapshot().Timeouts);
    }

    [Fact]
    public async Task A_late_reply_handler_that_throws_does_not_take_the_connection_down()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000510", TimeSpan.FromMilliseconds(400));
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var raised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connector.Mux.LateResponse += (_, _) =>
        {
            raised.TrySetResult();
            throw new InvalidOperationException("a subscriber's bug");
        };
        Assert.Equal(MuxStatus.TimedOut, (await connector.SendAsync(TestSupport.Authorization("000510"), TimeSpan.FromMilliseconds(100))).Status);
        await raised.Task.WaitAsync(TestSupport.Timeout);
        // The same connection (one per connector here) still carries requests and their replies.
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000511"))).IsAnswered);
        Assert.Equal(1, connector.Metrics.Snapshot().ConnectionsOpened);
    }

    [Fact]
    public async Task A_key_that_just_timed_out_is_refused_so_its_late_reply_cannot_reach_a_new_caller()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000600", TimeSpan.FromMilliseconds(300));
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        Assert.Equal(MuxStatus.TimedOut, (await connector.SendAsync(TestSupport.Authorization("000600"), TimeSpan.FromMilliseconds(50))).Status);
        Assert.Equal(MuxStatus.KeyRecentlyTimedOut, (await connector.SendAsync(TestSupport.Authorization("000600"))).Status);
    }

    [Fact]
    public async Task A_second_request_with_the_same_stan_and_terminal_in_flight_is_refused()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000700", TimeSpan.FromMilliseconds(300));
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var first = connector.SendAsync(TestSupport.Authorization("000700")).AsTask();
        var second = await connector.SendAsync(TestSupport.Authorization("000700"));
        Assert.Equal(MuxStatus.DuplicateInFlight, second.Status);
        Assert.Contains("already in flight", second.Error, StringComparison.Ordinal);
        Assert.True((await first).IsAnswered);
        var otherTerminal = await connector.SendAsync(TestSupport.Authorization("000700", "TERM0002"));
        Assert.True(otherTerminal.IsAnswered);
    }

    [Fact]
    public async Task Requests_beyond_the_pending_table_are_refused()
    {
        var gate = new HoldAllHandler(int.MaxValue);
        await using var listener = await TestSupport.StartListenerAsync(handler: gate);
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Mux.PendingMax = 3;
        options.NetworkManagement.SignOnRequired = false;
        await using var connector = await ConnectorSupport.StartAsync(options);
        var held = Enumerable.Range(1, 3).Select(i => connector.SendAsync(TestSupport.Authorization(i.ToString("D6")), TimeSpan.FromMilliseconds(500)).AsTask()).ToArray();
        var refused = await connector.SendAsync(TestSupport.Authorization("000004"));
        Assert.Equal(MuxStatus.PendingTableFull, refused.Status);
        await Task.WhenAll(held);
    }

    [Fact]
    public void The_key_can_use_rrn_instead_of_stan_and_terminal()
    {
        var key = new MuxKey([37]);
        var request = TestSupport.Spec.NewMessage("0200").Set(11, "000001").Set(37, "123456789012");
        var response = TestSupport.Spec.NewMessage("0210").Set(11, "000999").Set(37, "123456789012");
        Assert.Equal(key.ForRequest(request), key.ForResponse(response));
        Assert.NotEqual(MuxKey.Default.ForRequest(request), MuxKey.Default.ForResponse(response));
    }

    [Fact]
    public async Task A_pending_request_completes_once_and_only_with_its_first_outcome()
    {
        var request = TestSupport.Authorization("000700");
        var answered = new PendingRequest("0210|000700|T", Environment.TickCount64 + 1000, request, 1000);
        var first = new MuxResult(MuxStatus.Answered, request, null, "0210|000700|T");
        var waiting = answered.AsValueTask();
        Assert.False(waiting.IsCompleted);
        Assert.True(answered.TrySetResult(first));
        Assert.False(answered.TrySetResult(new MuxResult(MuxStatus.TimedOut, null, "late", "0210|000700|T")));
        Assert.False(answered.TrySetCanceled());
        Assert.Same(first, await waiting);

        var cancelled = new PendingRequest("0210|000701|T", Environment.TickCount64 + 1000, request, 1000);
        Assert.True(cancelled.TrySetCanceled());
        Assert.False(cancelled.TrySetResult(first));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled.AsValueTask());
    }

    [Fact]
    public async Task A_caller_that_gives_up_gets_a_cancellation_and_frees_its_pending_entry()
    {
        var handler = new AcceptorTests.DelayingHandler(slowStan: "000800", TimeSpan.FromMilliseconds(400));
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await connector.SendAsync(TestSupport.Authorization("000800"), TimeSpan.FromSeconds(5), giveUp.Token));
        Assert.Equal(0, connector.Mux.PendingCount);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000801"))).IsAnswered);
    }

    [Fact]
    public void A_decoded_response_key_read_from_wire_bytes_equals_the_key_from_field_text()
    {
        var request = TestSupport.Authorization("000123", "TERM 001");
        var built = MessageTypes.Respond(request, ResponseCode.Approved);
        var decoded = TestSupport.Spec.Decode((ReadOnlyMemory<byte>)TestSupport.Spec.Encode(built));
        string fromWire = MuxKey.Default.ForResponse(decoded);
        Assert.Equal(MuxKey.Default.ForRequest(request), fromWire);
        Assert.Equal($"0210|{decoded.GetString(11)}|{decoded.GetString(41)}", fromWire);
        Assert.Equal("0210|000123|TERM 001", fromWire);
        Assert.NotEqual(MuxKey.Default.ForRequest(TestSupport.Authorization("000124", "TERM 001")), fromWire);
    }

    [Fact]
    public void The_key_uses_the_response_class_mti()
    {
        Assert.Equal("0210", Mti.ResponseOf("0200"));
        Assert.Equal("0430", Mti.ResponseOf("0420"));
        Assert.Equal("0810", Mti.ResponseOf("0800"));
        Assert.Null(Mti.ResponseOf("0210"));
    }

    /// <summary>Holds every request until <c>count</c> have arrived, then answers them in a shuffled order.</summary>
    private sealed class HoldAllHandler(int count) : IMessageHandler
    {
        private readonly List<(IsoMessage Request, TaskCompletionSource<IsoMessage?> Reply)> _held = [];
        private readonly Lock _lock = new();

        public bool AnsweredOutOfOrder { get; private set; }

        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
        {
            if (request.Mti == "0800") return new NetworkManagementHandler().HandleAsync(request, session, ct);
            var reply = new TaskCompletionSource<IsoMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
            List<(IsoMessage Request, TaskCompletionSource<IsoMessage?> Reply)>? release = null;
            lock (_lock)
            {
                _held.Add((request, reply));
                if (_held.Count == count) release = [.. _held];
            }
            if (release is not null)
            {
                var order = release.OrderBy(_ => Random.Shared.Next()).ToList();
                AnsweredOutOfOrder = !order.Select(h => h.Request[11]).SequenceEqual(release.Select(h => h.Request[11]));
                foreach (var (req, tcs) in order) tcs.TrySetResult(MessageTypes.Respond(req, ResponseCode.Approved));
            }
            return new ValueTask<IsoMessage?>(reply.Task);
        }
    }
}
