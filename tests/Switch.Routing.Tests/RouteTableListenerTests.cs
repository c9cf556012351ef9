using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Switch.Iso8583.Vocabulary;
using Switch.Postgres;
using Switch.Routing.Postgres;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>
/// Hot reload against real Postgres: a change reaches a running listener within a second, look-ups under changes are
/// each answered from one committed snapshot, and with Postgres gone look-ups go on from memory (F12).
/// </summary>
public sealed class RouteTableListenerTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly RoutingOptions FastReconnect = new() { ReconnectBackoffMinMs = 50, ReconnectBackoffMaxMs = 400, VersionCheckMs = 1_000 };

    private sealed record Running(NpgsqlDataSource DataSource, RouteTableHolder Holder, RouteTableListener Listener) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Listener.DisposeAsync();
            await DataSource.DisposeAsync();
        }
    }

    private static Running Start(string connectionString)
    {
        var dataSource = new PostgresOptions { ConnectionString = connectionString, ConnectTimeoutMs = 2_000 }.CreateDataSource();
        var holder = new RouteTableHolder();
        var listener = new RouteTableListener(dataSource, holder, FastReconnect);
        listener.Start();
        return new Running(dataSource, holder, listener);
    }

    private static async Task<TimeSpan> WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) Assert.Fail($"not reached within {limit.TotalSeconds} s");
            await Task.Delay(5);
        }
        return clock.Elapsed;
    }

    private static Route? Route(RouteTableHolder holder, string pan) => Find(holder.Current, pan);

    [Fact]
    public async Task A_change_made_through_the_cli_reaches_a_running_listener_within_one_second()
    {
        var (ds, _) = await db.OpenStoreAsync();
        await ds.DisposeAsync();
        await using var running = Start(db.ConnectionString);
        await running.Listener.FirstLoad.WaitAsync(TimeSpan.FromSeconds(10));
        string config = Path.Combine(Path.GetTempPath(), $"routing-listener-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, $$"""{ "network": { "connectors": [ { "name": "issuer-a" } ] }, "postgres": { "connectionString": {{JsonSerializer.Serialize(db.ConnectionString)}} } }""");
        try
        {
            const string pan = "4222221234567890";
            string[][] changes =
            [
                ["routes", "add", "--name", "hot", "--bin", "422222", "--destination", "issuer-a"],
                ["routes", "update", "--name", "hot", "--destination", "stand-in"],
                ["routes", "remove", "--name", "hot"],
            ];
            string?[] expected = ["issuer-a", "stand-in", null];
            for (int i = 0; i < changes.Length; i++)
            {
                var result = CliRunner.Run([.. changes[i], "--config", config]);
                Assert.True(result.ExitCode == 0, result.ToString());
                long version;
                using (var doc = JsonDocument.Parse(result.Stdout)) version = doc.RootElement.GetProperty("version").GetInt64();
                // Measured from the CLI's exit: its transaction (and the NOTIFY) committed before it printed.
                TimeSpan took = await WaitForAsync(() => running.Holder.Current.Version >= version, TimeSpan.FromSeconds(10));
                Assert.True(took < TimeSpan.FromSeconds(1), $"{string.Join(' ', changes[i][..2])} reached the listener after {took.TotalMilliseconds:0} ms");
                Assert.Equal(expected[i], Route(running.Holder, pan)?.Destination);
            }
            Assert.True(running.Listener.Connected);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task A_thousand_concurrent_look_ups_while_routes_change_are_each_answered_from_one_committed_snapshot()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        var committed = new ConcurrentDictionary<long, Route[]>();
        var current = new Dictionary<string, Route>(StringComparer.Ordinal);
        async Task Apply(Task<RouteChange> change)
        {
            var c = await change;
            if (c.Before is not null) current.Remove(c.Before.Name);
            if (c.After is not null) current[c.After.Name] = c.After;
            committed[c.Version] = [.. current.Values.Where(r => r.BinPrefix.StartsWith("43", StringComparison.Ordinal))];
        }
        await Apply(store.AddAsync(R("c-base", "433333", "issuer-a"), "test", Known, None));
        await Apply(store.AddAsync(R("c-moving", "43333312", "issuer-b"), "test", Known, None));
        await using var running = Start(db.ConnectionString);
        await running.Listener.FirstLoad.WaitAsync(TimeSpan.FromSeconds(10));

        string[] pans = ["4333331234567890", "4333331299999999", "4333339999999999", "4333331200000000"];
        MtiClass?[] classes = [MtiClass.Authorization, MtiClass.Financial, MtiClass.Reversal];
        var writerDone = new TaskCompletionSource();
        long lookups = 0, wrong = 0;
        var seen = new ConcurrentDictionary<long, RouteTable>();
        var readers = Enumerable.Range(0, 1_000).Select(n => Task.Run(async () =>
        {
            var random = new Random(n);
            do
            {
                for (int i = 0; i < 2; i++)
                {
                    RouteTable table = running.Holder.Current; // one snapshot per transaction
                    string pan = pans[random.Next(pans.Length)];
                    var mti = classes[random.Next(classes.Length)];
                    Route? got = table.Lookup(new RouteRequest(pan, mti, "000000", "978"));
                    Route? want = Reference(table.Routes, pan, mti, "000000", "978");
                    if (!ReferenceEquals(got, want)) Interlocked.Increment(ref wrong);
                    Interlocked.Increment(ref lookups);
                    seen.TryAdd(table.Version, table);
                }
                // Concurrent, not spinning: the machine is shared, and Postgres and the listener need the cores too.
                await Task.Delay(random.Next(10, 30));
            }
            while (!writerDone.Task.IsCompleted);
        })).ToList();

        string[] destinations = ["issuer-a", "issuer-b", "issuer-c", "on-us"];
        string[] bins = ["43333312", "4333331", "433333123", "433333"];
        for (int i = 0; i < 30; i++)
        {
            await Apply(store.UpdateAsync("c-moving", new RoutePatch(Bin: bins[i % bins.Length], Destination: destinations[i % destinations.Length], Priority: 1 + i % 3), "test", Known, None));
            if (i % 3 == 0) await Apply(store.AddAsync(R($"c-flicker-{i}", "4333331", "stand-in", mti: classes[i % 3]), "test", Known, None));
            if (i % 3 == 2) await Apply(store.RemoveAsync($"c-flicker-{i - 2}", "test", None));
        }
        long last = committed.Keys.Max();
        await WaitForAsync(() => running.Holder.Current.Version >= last, TimeSpan.FromSeconds(30));
        writerDone.SetResult();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, wrong);
        Assert.True(lookups >= 5_000, $"only {lookups} look-ups");
        Assert.True(seen.Count >= 5, $"the readers saw only {seen.Count} snapshots");
        foreach (var (version, table) in seen.Where(kv => committed.ContainsKey(kv.Key)))
        {
            // Every snapshot a reader used is exactly the table as some committed change left it.
            var expected = committed[version].OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
            Assert.Equal(expected, table.Routes.Where(r => r.BinPrefix.StartsWith("43", StringComparison.Ordinal)).ToList());
        }
    }

    [Fact]
    public async Task F12_postgres_down_look_ups_go_on_from_memory_changes_are_refused_and_the_listener_catches_up_after()
    {
        var (directSource, direct) = await db.OpenStoreAsync();
        await using var _ = directSource;
        await direct.AddAsync(R("f12-visa", "444444", "issuer-a"), "test", Known, None);
        await using var proxy = new TcpProxy(db.Port);
        proxy.Start();
        string viaProxy = db.ConnectionStringAt("127.0.0.1", proxy.Port);
        await using var running = Start(viaProxy);
        await running.Listener.FirstLoad.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("issuer-a", Route(running.Holder, "4444441234567890")?.Destination);

        await proxy.StopAsync(); // Postgres is gone for this switch: connections cut, the port refuses
        await WaitForAsync(() => !running.Listener.Connected, TimeSpan.FromSeconds(10));
        for (int i = 0; i < 10_000; i++) Assert.Equal("issuer-a", Route(running.Holder, "4444441234567890")?.Destination);

        await using var proxiedSource = new PostgresOptions { ConnectionString = viaProxy, ConnectTimeoutMs = 2_000 }.CreateDataSource();
        var refusedStore = new RouteStore(proxiedSource, $"127.0.0.1:{proxy.Port}/{db.Name}", new RoutingOptions());
        var refused = await Assert.ThrowsAsync<RoutingUnavailableException>(() => refusedStore.AddAsync(R("f12-late", "44444455", "stand-in"), "test", Known, None));
        Assert.StartsWith($"route change refused: Postgres at 127.0.0.1:{proxy.Port}/{db.Name} is unreachable (", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("; a running switch keeps routing from its in-memory table", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RoutingUnavailableException>(() => refusedStore.RemoveAsync("f12-visa", "test", None));
        Assert.Equal("issuer-a", Route(running.Holder, "4444441234567890")?.Destination);

        // Meanwhile another operator's change lands in Postgres; its notification never reaches this switch.
        var change = await direct.AddAsync(R("f12-longer", "44444412", "stand-in"), "test", Known, None);
        long failures = running.Listener.Failures;
        Assert.True(failures >= 1);
        await Task.Delay(300);
        Assert.Equal("issuer-a", Route(running.Holder, "4444441234567890")?.Destination);

        proxy.Start(); // Postgres is back on the same port
        TimeSpan took = await WaitForAsync(() => running.Holder.Current.Version >= change.Version, TimeSpan.FromSeconds(10));
        Assert.True(took < TimeSpan.FromSeconds(3), $"caught up after {took.TotalMilliseconds:0} ms (backoff is capped at 400 ms)");
        Assert.True(running.Listener.Connected);
        Assert.Equal("stand-in", Route(running.Holder, "4444441234567890")?.Destination);
        Assert.Equal("issuer-a", Route(running.Holder, "4444449999999999")?.Destination);
    }

    private sealed class CollectingSink : Serilog.Core.ILogEventSink
    {
        public ConcurrentQueue<Serilog.Events.LogEvent> Events { get; } = new();

        public void Emit(Serilog.Events.LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    [Fact]
    public async Task A_loaded_route_naming_a_destination_this_switch_lacks_is_logged_and_kept()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        await store.AddAsync(R("to-c", "455555", "issuer-c"), "test", Known, None);
        var sink = new CollectingSink();
        using var log = new Serilog.LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        await using var listenerSource = db.Options.CreateDataSource();
        var holder = new RouteTableHolder();
        var listener = new RouteTableListener(listenerSource, holder, FastReconnect, log, new KnownDestinations(["issuer-a"]));
        listener.Start();
        try
        {
            await listener.FirstLoad.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("issuer-c", Route(holder, "4555551234567890")?.Destination);
            var warning = Assert.Single(sink.Events, e => e.Level == Serilog.Events.LogEventLevel.Warning && e.RenderMessage().Contains("\"to-c\"", StringComparison.Ordinal));
            Assert.Contains("issuer-c", warning.RenderMessage(), StringComparison.Ordinal);
        }
        finally
        {
            await listener.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_listener_that_cannot_reach_postgres_keeps_retrying_and_serves_the_table_it_has()
    {
        await using var running = Start(db.ConnectionStringAt("127.0.0.1", 1));
        await WaitForAsync(() => running.Listener.Failures >= 3, TimeSpan.FromSeconds(10));
        Assert.False(running.Listener.Connected);
        Assert.False(running.Listener.FirstLoad.IsCompleted);
        Assert.Same(RouteTable.Empty, running.Holder.Current);
        Assert.Null(Route(running.Holder, "4444441234567890"));
    }
}
