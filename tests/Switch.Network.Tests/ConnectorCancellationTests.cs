using System.Diagnostics;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>A caller's token cancels its request: the await throws at once and the pending entry is gone.</summary>
public sealed class ConnectorCancellationTests
{
    [Fact]
    public async Task Cancelling_the_token_of_a_request_in_flight_throws_and_removes_its_pending_entry_at_once()
    {
        var host = new AcceptorTests.DelayingHandler(slowStan: "000601", TimeSpan.FromSeconds(20));
        await using var listener = await TestSupport.StartListenerAsync(handler: host);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        using var cts = new CancellationTokenSource();
        var sending = connector.SendAsync(TestSupport.Authorization("000601"), TimeSpan.FromSeconds(30), cts.Token).AsTask();
        await host.Started.WaitAsync(TestSupport.Timeout);
        Assert.Equal(1, connector.Mux.PendingCount);
        var clock = Stopwatch.StartNew();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TestSupport.Timeout));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancellation took {clock.Elapsed}");
        Assert.Equal(0, connector.Mux.PendingCount);
    }

    [Fact]
    public async Task A_token_already_cancelled_throws_and_leaves_nothing_pending()
    {
        await using var listener = await TestSupport.StartListenerAsync(handler: new ApprovingHandler());
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connector.SendAsync(TestSupport.Authorization("000602"), null, cts.Token));
        Assert.Equal(0, connector.Mux.PendingCount);
    }

    [Fact]
    public async Task Requests_answered_under_one_long_lived_token_are_answered_and_a_later_cancel_touches_none_of_them()
    {
        await using var listener = await TestSupport.StartListenerAsync(handler: new ApprovingHandler());
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        using var cts = new CancellationTokenSource();
        for (int i = 1; i <= 200; i++)
        {
            var result = await connector.SendAsync(TestSupport.Authorization(i.ToString("D6")), null, cts.Token);
            Assert.Equal(MuxStatus.Answered, result.Status);
        }
        await cts.CancelAsync();
        Assert.Equal(0, connector.Mux.PendingCount);
        // The same key is free again (an answered request's registration did not cancel anything).
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000001"), null, CancellationToken.None)).IsAnswered);
    }
}
