using System.Diagnostics;
using System.Net.Sockets;

namespace Switch.Network.Tests;

/// <summary>
/// FAULTS F17: slowloris, half-open and abruptly reset connections, and a connection flood past the
/// maximum, are closed or refused by their limits while the other connections keep being served.
/// </summary>
public sealed class SlowAndFloodingPeersTests
{
    private static Switch.Network.Config.ListenerOptions TightOptions()
    {
        var options = TestSupport.ListenerOptions();
        options.Limits.PartialFrameTimeoutMs = 400;
        options.Limits.IdleTimeoutMs = 600;
        return options;
    }

    private static async Task AssertServedAsync(System.Net.IPEndPoint endpoint, string stan)
    {
        await using var good = await RawClient.ConnectAsync(endpoint);
        await good.SendMessageAsync(TestSupport.Echo(stan));
        Assert.Equal(stan, (await good.ReadMessageAsync())?[11]);
    }

    [Fact]
    public async Task F17_a_slowloris_sending_a_byte_at_a_time_is_closed_at_the_partial_frame_deadline()
    {
        await using var listener = await TestSupport.StartListenerAsync(TightOptions());
        await using var slow = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var frame = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000001")));
        var watch = Stopwatch.StartNew();
        bool closed = false;
        // Trickle one byte every 100 ms: each byte is "activity", but the frame never completes in time.
        for (int i = 0; i < frame.Length - 1 && !closed; i++)
        {
            try
            {
                await slow.SendAsync([frame[i]]);
            }
            catch (SocketException)
            {
                closed = true;
                break;
            }
            closed = await slow.ClosedByPeerAsync(TimeSpan.FromMilliseconds(100));
        }
        Assert.True(closed || await slow.ClosedByPeerAsync(TimeSpan.FromSeconds(2)));
        Assert.InRange(watch.ElapsedMilliseconds, 300, 3000);
        Assert.True(listener.Metrics.Snapshot().Timeouts >= 1);
        await AssertServedAsync(listener.LocalEndPoint, "000002");
    }

    [Fact]
    public async Task F17_a_silent_half_open_peer_is_closed_at_the_idle_deadline()
    {
        await using var listener = await TestSupport.StartListenerAsync(TightOptions());
        await using var silent = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var watch = Stopwatch.StartNew();
        Assert.True(await silent.ClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.InRange(watch.ElapsedMilliseconds, 500, 4000);
        await WaitFor.ConditionAsync(() => listener.ConnectionCount == 0);
        await AssertServedAsync(listener.LocalEndPoint, "000003");
    }

    [Fact]
    public async Task F17_a_peer_that_resets_mid_frame_is_dropped_and_others_are_served()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        var frame = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000001")));
        for (int i = 0; i < 20; i++)
        {
            var rude = await RawClient.ConnectAsync(listener.LocalEndPoint);
            await rude.SendAsync(frame[..(frame.Length / 2)]);
            rude.Socket.LingerState = new LingerOption(true, 0);
            await rude.DisposeAsync();
        }
        await WaitFor.ConditionAsync(() => listener.ConnectionCount == 0);
        await AssertServedAsync(listener.LocalEndPoint, "000004");
    }

    [Fact]
    public async Task F17_connections_past_the_listener_maximum_are_refused_and_the_admitted_ones_served()
    {
        var options = TestSupport.ListenerOptions();
        options.Limits.ConnectionsMax = 20;
        await using var listener = await TestSupport.StartListenerAsync(options);
        var clients = new List<RawClient>();
        try
        {
            for (int i = 0; i < 20; i++) clients.Add(await RawClient.ConnectAsync(listener.LocalEndPoint));
            await WaitFor.ConditionAsync(() => listener.ConnectionCount == 20);
            var flood = new List<RawClient>();
            for (int i = 0; i < 30; i++) flood.Add(await RawClient.ConnectAsync(listener.LocalEndPoint));
            clients.AddRange(flood);
            foreach (var f in flood) Assert.True(await f.ClosedByPeerAsync(TestSupport.Timeout));
            Assert.Equal(30, listener.Metrics.Snapshot().ConnectionsRefused);
            for (int i = 0; i < 20; i++)
            {
                await clients[i].SendMessageAsync(TestSupport.Echo(i.ToString("D6")));
                Assert.Equal(i.ToString("D6"), (await clients[i].ReadMessageAsync())?[11]);
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task F17_connections_past_the_per_address_maximum_are_refused()
    {
        var options = TestSupport.ListenerOptions();
        options.Limits.ConnectionsPerIpMax = 3;
        await using var listener = await TestSupport.StartListenerAsync(options);
        var clients = new List<RawClient>();
        try
        {
            for (int i = 0; i < 3; i++) clients.Add(await RawClient.ConnectAsync(listener.LocalEndPoint));
            await WaitFor.ConditionAsync(() => listener.ConnectionCount == 3);
            var fourth = await RawClient.ConnectAsync(listener.LocalEndPoint);
            clients.Add(fourth);
            Assert.True(await fourth.ClosedByPeerAsync(TestSupport.Timeout));
            await clients[0].DisposeAsync();
            await WaitFor.ConditionAsync(() => listener.ConnectionCount == 2);
            await AssertServedAsync(listener.LocalEndPoint, "000005");
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task F17_latency_of_a_good_connection_holds_while_200_slowloris_connections_attack()
    {
        var options = TestSupport.ListenerOptions();
        options.Limits.PartialFrameTimeoutMs = 2000;
        await using var listener = await TestSupport.StartListenerAsync(options);
        await using var good = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var attempts = new List<string>();
        // The runner is shared: a burst of unrelated load can spoil one window. A real regression (attackers
        // slowing the others) fails every attempt; noise does not.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            double baselineP99 = await MeasureP99MsAsync(good, 300);
            var attackers = new List<RawClient>();
            try
            {
                for (int i = 0; i < 200; i++)
                {
                    var a = await RawClient.ConnectAsync(listener.LocalEndPoint);
                    await a.SendAsync([0x00]);
                    attackers.Add(a);
                }
                double attackedP99 = await MeasureP99MsAsync(good, 300);
                // F17: within +20 %; the absolute slack absorbs scheduler noise at sub-millisecond latencies.
                if (attackedP99 <= (baselineP99 * 1.2) + 1.0) return;
                attempts.Add($"{attackedP99:F3} ms under attack vs {baselineP99:F3} ms baseline");
            }
            finally
            {
                foreach (var a in attackers) await a.DisposeAsync();
            }
            await WaitFor.ConditionAsync(() => listener.ConnectionCount == 1);
        }
        Assert.Fail("p99 of the good connection degraded in every attempt: " + string.Join("; ", attempts));
    }

    private static async Task<double> MeasureP99MsAsync(RawClient client, int roundTrips)
    {
        var samples = new double[roundTrips];
        var frame = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000009")));
        for (int i = 0; i < 50; i++)
        {
            await client.SendAsync(frame);
            await client.ReadFrameAsync();
        }
        for (int i = 0; i < roundTrips; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await client.SendAsync(frame);
            await client.ReadFrameAsync();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(samples);
        return samples[(int)(roundTrips * 0.99) - 1];
    }
}
