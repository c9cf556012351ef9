namespace Switch.Network.Tests;

/// <summary>One listener serves a thousand concurrent connections.</summary>
public sealed class ScaleTests
{
    [Fact]
    public async Task A_thousand_concurrent_connections_are_each_answered()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clients = new RawClient[1000];
        try
        {
            // Connect in waves so the accept backlog is never the test's bottleneck.
            for (int wave = 0; wave < 10; wave++)
            {
                var connects = Enumerable.Range(wave * 100, 100).Select(async i => clients[i] = await RawClient.ConnectAsync(listener.LocalEndPoint));
                await Task.WhenAll(connects);
            }
            await WaitFor.ConditionAsync(() => listener.ConnectionCount == 1000);
            var exchanges = clients.Select(async (c, i) =>
            {
                string stan = (i + 1).ToString("D6");
                await c.SendMessageAsync(TestSupport.Echo(stan));
                return (await c.ReadMessageAsync())?[11] == stan;
            });
            var answered = await Task.WhenAll(exchanges).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.All(answered, Assert.True);
            Assert.Equal(1000, listener.Metrics.Snapshot().ConnectionsOpen);
            // Both ends of all 1,000 connections live in this process; each costs a few KiB of buffers.
            long heapGrowthBytes = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            Assert.True(heapGrowthBytes < 64L * 1024 * 1024, $"heap grew {heapGrowthBytes / 1024 / 1024} MiB for 1,000 connections");
        }
        finally
        {
            foreach (var c in clients)
            {
                if (c is not null) await c.DisposeAsync();
            }
        }
        await WaitFor.ConditionAsync(() => listener.ConnectionCount == 0);
    }
}
