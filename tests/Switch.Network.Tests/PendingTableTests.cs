using Switch.Iso8583.Vocabulary;
using Switch.Iso8583.Message;
using Switch.Network.Management;
using Switch.Network.Metrics;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>The MUX's pending table on its own (no sockets): keys, time-outs, late replies and their bounds.</summary>
public sealed class PendingTableTests
{
    private static IsoMessage Reply(IsoMessage request) => MessageTypes.Respond(request, ResponseCode.Approved);

    /// <summary>A reply as the connector sees it: decoded from bytes, so the key is read from wire bytes.</summary>
    private static IsoMessage Decoded(IsoMessage message) => TestSupport.Spec.Decode((ReadOnlyMemory<byte>)TestSupport.Spec.Encode(message));

    [Fact]
    public async Task A_key_too_long_for_the_stack_buffer_still_matches_and_a_stray_one_is_reported_whole()
    {
        // DE 43 (40 characters) and DE 48 (up to 999) make a key far longer than the 128 characters built on the stack.
        using var mux = new IsoMux(new MuxKey([11, 43, 48]), 10, new NetworkMetrics("t"), "t");
        string longText = new('x', 300);
        var request = TestSupport.Authorization("000001").Set(43, new string('N', 40)).Set(48, longText);
        Assert.Equal(MuxStatus.Answered, mux.TryRegister(request, TimeSpan.FromSeconds(5), out string? key, out var pending));
        Assert.True(key!.Length > MuxKey.StackKeyChars);
        var reply = Reply(request).Set(43, new string('N', 40)).Set(48, longText);
        Assert.True(mux.Deliver(Decoded(reply)));
        var result = await pending!.AsValueTask();
        Assert.True(result.IsAnswered);
        Assert.Equal(key, result.Key);

        LateResponseEventArgs? stray = null;
        mux.LateResponse += (_, e) => stray = e;
        Assert.False(mux.Deliver(Decoded(reply.Set(11, "000002"))));
        Assert.NotNull(stray);
        Assert.False(stray!.WasTimedOut);
        Assert.EndsWith(longText, stray.Key, StringComparison.Ordinal);
        Assert.Equal(0, mux.PendingCount);
    }

    [Fact]
    public async Task Timed_out_keys_are_remembered_up_to_the_table_size_oldest_forgotten_first()
    {
        using var mux = new IsoMux(MuxKey.Default, 2, new NetworkMetrics("t"), "t", lateWindowMs: 600_000);
        var requests = Enumerable.Range(1, 5).Select(i => TestSupport.Authorization(i.ToString("D6"))).ToArray();
        foreach (var request in requests)
        {
            Assert.Equal(MuxStatus.Answered, mux.TryRegister(request, TimeSpan.Zero, out _, out var pending));
            mux.ExpireOverdue(Environment.TickCount64 + 1);
            Assert.Equal(MuxStatus.TimedOut, (await pending!.AsValueTask()).Status);
        }
        // The three oldest marks were dropped (bound 2): those keys are live again; the two newest are still refused.
        Assert.Equal(MuxStatus.Answered, mux.TryRegister(requests[0], TimeSpan.FromSeconds(5), out _, out var again));
        Assert.Equal(MuxStatus.KeyRecentlyTimedOut, mux.TryRegister(requests[4], TimeSpan.FromSeconds(5), out _, out _));
        Assert.True(mux.Deliver(Decoded(Reply(requests[0]))));
        Assert.True((await again!.AsValueTask()).IsAnswered);
    }

    [Fact]
    public async Task Timeouts_followed_by_late_replies_leave_no_marks_behind_and_the_table_keeps_working()
    {
        // Every timeout is answered late: the memory of timed-out keys must stay bounded, not grow with traffic.
        using var mux = new IsoMux(MuxKey.Default, 4, new NetworkMetrics("t"), "t", lateWindowMs: 600_000);
        int late = 0;
        mux.LateResponse += (_, e) => late += e.WasTimedOut ? 1 : 0;
        for (int i = 1; i <= 2_000; i++)
        {
            var request = TestSupport.Authorization(i.ToString("D6"));
            Assert.Equal(MuxStatus.Answered, mux.TryRegister(request, TimeSpan.Zero, out _, out var pending));
            mux.ExpireOverdue(Environment.TickCount64 + 1);
            await pending!.AsValueTask();
            Assert.False(mux.Deliver(Decoded(Reply(request))));
        }
        Assert.Equal(2_000, late);
        Assert.True(mux.TimedOutKeysRemembered <= 4, $"{mux.TimedOutKeysRemembered} timed-out keys remembered");
        Assert.Equal(0, mux.PendingCount);
    }

    [Fact]
    public async Task Past_the_late_window_a_timed_out_key_is_live_again_and_its_reply_is_delivered()
    {
        using var mux = new IsoMux(MuxKey.Default, 10, new NetworkMetrics("t"), "t", lateWindowMs: 30);
        var request = TestSupport.Authorization("000010");
        Assert.Equal(MuxStatus.Answered, mux.TryRegister(request, TimeSpan.Zero, out _, out var first));
        mux.ExpireOverdue(Environment.TickCount64 + 1);
        Assert.Equal(MuxStatus.TimedOut, (await first!.AsValueTask()).Status);
        Assert.Equal(MuxStatus.KeyRecentlyTimedOut, mux.TryRegister(request, TimeSpan.FromSeconds(5), out _, out _));
        await Task.Delay(60);
        Assert.Equal(MuxStatus.Answered, mux.TryRegister(request, TimeSpan.FromSeconds(5), out _, out var second));
        Assert.True(mux.Deliver(Decoded(Reply(request))));
        Assert.True((await second!.AsValueTask()).IsAnswered);
        Assert.Equal(0, mux.PendingCount);
    }

    [Fact]
    public async Task A_late_reply_to_a_timed_out_key_is_counted_and_reported_once()
    {
        var metrics = new NetworkMetrics("t");
        using var mux = new IsoMux(MuxKey.Default, 10, metrics, "t");
        var request = TestSupport.Authorization("000020");
        mux.TryRegister(request, TimeSpan.Zero, out _, out var pending);
        mux.ExpireOverdue(Environment.TickCount64 + 1);
        await pending!.AsValueTask();
        var reports = new List<LateResponseEventArgs>();
        mux.LateResponse += (_, e) => reports.Add(e);
        Assert.False(mux.Deliver(Decoded(Reply(request))));
        Assert.False(mux.Deliver(Decoded(Reply(request))));
        Assert.Equal([true, false], reports.Select(r => r.WasTimedOut));
        Assert.Equal(1, metrics.Snapshot().LateResponses);
        Assert.Equal(1, metrics.Snapshot().Timeouts);
    }

    [Fact]
    public async Task Failing_all_completes_every_waiter_and_empties_the_table()
    {
        using var mux = new IsoMux(MuxKey.Default, 100, new NetworkMetrics("t"), "t");
        var waiting = Enumerable.Range(1, 50).Select(i =>
        {
            Assert.Equal(MuxStatus.Answered, mux.TryRegister(TestSupport.Authorization(i.ToString("D6")), TimeSpan.FromSeconds(5), out _, out var p));
            return p!;
        }).ToArray();
        mux.FailAll();
        foreach (var p in waiting) Assert.Equal(MuxStatus.NotConnected, (await p.AsValueTask()).Status);
        Assert.Equal(0, mux.PendingCount);
    }
}
