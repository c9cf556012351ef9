using Switch.Admin.Metrics;

namespace Switch.Admin.Tests;

/// <summary>/metrics: the Prometheus text of the core's metrics, connectors, listeners and the journal.</summary>
[Collection("journal")]
public sealed class MetricsEndpointTests
{
    private static async Task<PrometheusText> ScrapeAsync(AdminHost host)
    {
        var (status, body, type) = await host.GetAsync("/metrics");
        Assert.Equal(200, status);
        Assert.StartsWith("text/plain", type, StringComparison.Ordinal);
        return PrometheusText.Parse(body);
    }

    [Fact]
    public async Task Transactions_are_counted_by_mti_and_response_code()
    {
        await using var host = await AdminHost.StartAsync();
        var m = host.Metrics;
        for (int i = 0; i < 3; i++) m.TransactionCompleted("0200", "00", 0.002);
        m.TransactionCompleted("0200", "51", 0.003);
        m.TransactionCompleted("0100", "05", 0.004);
        m.TransactionCompleted("0420", "", 2.0);

        var text = await ScrapeAsync(host);

        Assert.Equal("counter", text.Types["switch_transactions_total"]);
        Assert.Equal(3, text.Value("switch_transactions_total", ("mti", "0200"), ("rc", "00")));
        Assert.Equal(1, text.Value("switch_transactions_total", ("mti", "0200"), ("rc", "51")));
        Assert.Equal(1, text.Value("switch_transactions_total", ("mti", "0100"), ("rc", "05")));
        Assert.Equal(1, text.Value("switch_transactions_total", ("mti", "0420"), ("rc", "none")));
    }

    [Fact]
    public async Task Latency_is_a_histogram_from_a_tenth_of_a_millisecond_to_five_seconds()
    {
        await using var host = await AdminHost.StartAsync();
        host.Metrics.TransactionCompleted("0200", "00", 0.00005); // 50 µs
        host.Metrics.TransactionCompleted("0200", "00", 0.0007);  // 0.7 ms
        host.Metrics.TransactionCompleted("0200", "00", 0.02);    // 20 ms
        host.Metrics.TransactionCompleted("0200", "00", 9.0);     // past the last bucket

        var text = await ScrapeAsync(host);

        Assert.Equal("histogram", text.Types["switch_transaction_duration_seconds"]);
        var buckets = text.Samples.Where(s => s.Name == "switch_transaction_duration_seconds_bucket").ToList();
        Assert.Equal(PrometheusCoreMetrics.LatencyBuckets.Length + 1, buckets.Count);
        Assert.Equal("0.0001", buckets[0].Labels["le"]);
        Assert.Equal("5", buckets[^2].Labels["le"]);
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        Assert.Equal(1, text.Value("switch_transaction_duration_seconds_bucket", ("le", "0.0001")));
        Assert.Equal(2, text.Value("switch_transaction_duration_seconds_bucket", ("le", "0.001")));
        Assert.Equal(3, text.Value("switch_transaction_duration_seconds_bucket", ("le", "0.025")));
        Assert.Equal(3, text.Value("switch_transaction_duration_seconds_bucket", ("le", "5")));
        Assert.Equal(4, text.Value("switch_transaction_duration_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(4, text.Value("switch_transaction_duration_seconds_count"));
        Assert.Equal(9.02075, text.Value("switch_transaction_duration_seconds_sum"), 6);
        // Cumulative: never decreasing.
        for (int i = 1; i < buckets.Count; i++) Assert.True(buckets[i].Value >= buckets[i - 1].Value);
    }

    [Fact]
    public async Task In_flight_saf_depth_duplicates_and_late_responses_are_exported()
    {
        await using var host = await AdminHost.StartAsync();
        var m = host.Metrics;
        m.InFlight(1);
        m.InFlight(1);
        m.InFlight(1);
        m.InFlight(-1);
        m.SafDepth("issuer-a", 7);
        m.SafDepth("issuer-a", 4);
        m.SafDepth("issuer-b", 1);
        m.DuplicateAnswered();
        m.DuplicateAnswered();
        m.LateResponse("issuer-a");
        m.LateResponse("issuer-a");
        m.LateResponse("issuer-b");

        var text = await ScrapeAsync(host);

        Assert.Equal(2, text.Value("switch_transactions_in_flight"));
        Assert.Equal("gauge", text.Types["switch_saf_depth"]);
        Assert.Equal(4, text.Value("switch_saf_depth", ("endpoint", "issuer-a")));
        Assert.Equal(1, text.Value("switch_saf_depth", ("endpoint", "issuer-b")));
        Assert.Equal(2, text.Value("switch_duplicates_answered_total"));
        Assert.Equal(2, text.Value("switch_late_responses_total", ("endpoint", "issuer-a")));
        Assert.Equal(1, text.Value("switch_late_responses_total", ("endpoint", "issuer-b")));
    }

    [Fact]
    public async Task Connector_and_listener_state_is_read_at_scrape_time()
    {
        await using var issuerSide = NetworkRig.StartListener("issuer-peer");
        await using var up = NetworkRig.StartConnector("issuer-a", NetworkRig.EndpointOf(issuerSide));
        await using var down = NetworkRig.StartConnector("issuer-b", $"127.0.0.1:{NetworkRig.ClosedPort()}");
        await NetworkRig.WaitSignedOnAsync(up);
        await WaitFor.ConditionAsync(() => issuerSide.ConnectionCount == 1, "the listener to count its connection");
        var metrics = new PrometheusCoreMetrics();
        metrics.AddConnector(up);
        metrics.AddConnector(down);
        metrics.AddListener(issuerSide);
        await using var host = await AdminHost.StartAsync(metrics: metrics);

        var text = await ScrapeAsync(host);

        Assert.Equal(1, text.Value("switch_connector_up", ("connector", "issuer-a")));
        Assert.Equal(1, text.Value("switch_connector_signed_on", ("connector", "issuer-a")));
        Assert.Equal(0, text.Value("switch_connector_up", ("connector", "issuer-b")));
        Assert.Equal(0, text.Value("switch_connector_signed_on", ("connector", "issuer-b")));
        Assert.Equal(1, text.Value("switch_listener_connections", ("listener", "issuer-peer")));
        // The sign-on: one 0800 out of the connector, into the listener, and its 0810 back.
        Assert.Equal(1, text.Value("switch_network_frames_out_total", ("name", "issuer-a"), ("role", "connector")));
        Assert.Equal(1, text.Value("switch_network_frames_in_total", ("name", "issuer-a"), ("role", "connector")));
        Assert.Equal(1, text.Value("switch_network_frames_in_total", ("name", "issuer-peer"), ("role", "listener")));
        Assert.True(text.Value("switch_network_bytes_in_total", ("name", "issuer-peer"), ("role", "listener")) > 0);
        Assert.Equal("counter", text.Types["switch_network_frames_in_total"]);

        await up.StopAsync(CancellationToken.None);
        text = await ScrapeAsync(host);
        Assert.Equal(0, text.Value("switch_connector_up", ("connector", "issuer-a")));
    }

    [Fact]
    public async Task Journal_positions_lag_and_health_are_read_at_scrape_time()
    {
        using var journal = new JournalRig();
        var metrics = new PrometheusCoreMetrics();
        metrics.SetJournal(journal.Journal);
        await using var host = await AdminHost.StartAsync(metrics: metrics);
        for (int i = 0; i < 5; i++) await journal.Journal.AppendAsync([JournalRig.Event("m" + i)], CancellationToken.None);
        journal.Journal.ReportProjected(3);
        await journal.Journal.Forwarder.WaitAckedAsync(journal.Journal.Spool.LastAssigned).WaitAsync(AdminHost.Timeout);

        var text = await ScrapeAsync(host);

        Assert.Equal(journal.Journal.Spool.LastAssigned, text.Value("switch_journal_spool_position"));
        Assert.Equal(journal.Journal.Spool.LastAssigned, text.Value("switch_journal_forwarded_position"));
        Assert.Equal(3, text.Value("switch_journal_projected_position"));
        Assert.Equal(0, text.Value("switch_journal_health"));
        Assert.True(text.Has("switch_journal_lag_ms"));

        journal.Storage.DiskFull = true;
        await Assert.ThrowsAsync<Journal.JournalUnavailableException>(async () => await journal.Journal.AppendAsync([JournalRig.Event("x")], CancellationToken.None));
        Assert.Equal(2, (await ScrapeAsync(host)).Value("switch_journal_health"));
        journal.Storage.DiskFull = false;
    }

    [Fact]
    public async Task Process_metrics_are_included_and_registries_are_isolated()
    {
        await using var a = await AdminHost.StartAsync();
        await using var b = await AdminHost.StartAsync(metrics: new PrometheusCoreMetrics(processMetrics: false));
        a.Metrics.TransactionCompleted("0200", "00", 0.001);

        var textA = await ScrapeAsync(a);
        var textB = await ScrapeAsync(b);

        Assert.True(textA.Has("process_cpu_seconds_total"));
        Assert.True(textA.Has("dotnet_collection_count_total"));
        Assert.False(textB.Has("process_cpu_seconds_total"));
        Assert.Equal(1, textA.Value("switch_transactions_total", ("mti", "0200"), ("rc", "00")));
        Assert.DoesNotContain(textB.Samples, s => s.Name == "switch_transactions_total");
        // Nothing leaked into prometheus-net's process-global registry.
        using var global = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(global);
        Assert.DoesNotContain("switch_", System.Text.Encoding.UTF8.GetString(global.ToArray()), StringComparison.Ordinal);
    }
}
