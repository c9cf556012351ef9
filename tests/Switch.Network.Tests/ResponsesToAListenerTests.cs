using Serilog.Events;
using Switch.Network.Acceptor;
using Switch.Network.Management;

namespace Switch.Network.Tests;

/// <summary>A listener has no requests of its own: responses sent to it are dropped, but logged (PAN masked) and counted.</summary>
public sealed class ResponsesToAListenerTests
{
    [Fact]
    public async Task An_0810_and_an_0210_sent_to_a_listener_are_logged_with_a_masked_pan_counted_and_the_connection_stays()
    {
        var (logger, sink) = CollectingLogSink.Create();
        await using var listener = new IsoListener(TestSupport.ListenerOptions(), TestSupport.Specs, new NetworkManagementHandler(), logger);
        listener.Start();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var networkResponse = TestSupport.Spec.NewMessage("0810").Set(7, "1204101500").Set(11, "000811").Set(39, "00").Set(70, "301");
        var authorizationResponse = TestSupport.Authorization("000211");
        authorizationResponse.Mti = "0210";
        authorizationResponse.Set(39, "00");

        await client.SendMessageAsync(networkResponse);
        await client.SendMessageAsync(authorizationResponse);
        await client.SendMessageAsync(TestSupport.Echo("000812"));

        // Only the echo is answered: the responses got no reply.
        Assert.Equal("000812", (await client.ReadMessageAsync())?[11]);
        Assert.Equal(2, listener.Metrics.Snapshot().ResponsesDropped);
        var dropped = sink.Messages(LogEventLevel.Warning).Where(m => m.Contains("dropped response", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, dropped.Count);
        Assert.Contains(dropped, m => m.Contains("0810", StringComparison.Ordinal) && m.Contains("000811", StringComparison.Ordinal));
        Assert.Contains(dropped, m => m.Contains("0210", StringComparison.Ordinal) && m.Contains("411111******1111", StringComparison.Ordinal));
        Assert.DoesNotContain(sink.Messages(), m => m.Contains("4111111111111111", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_1987_notification_that_expects_no_answer_still_reaches_the_handler()
    {
        var handler = new ApprovingHandler();
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var notification = TestSupport.Authorization("000241");
        notification.Mti = "0240";
        await client.SendMessageAsync(notification);
        await WaitFor.ConditionAsync(() => handler.RequestsPerSession.Values.Sum() == 1);
        Assert.Equal(0, listener.Metrics.Snapshot().ResponsesDropped);
    }
}
