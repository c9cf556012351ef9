using Switch.Admin.Metrics;

namespace Switch.Admin.Tests;

/// <summary>The hot path's label table: MTIs and codes indexed without a look-up, odd values bounded.</summary>
public sealed class CoreMetricsLabelTests
{
    [Theory]
    [InlineData("0200", 200)]
    [InlineData("0000", 0)]
    [InlineData("9999", 9999)]
    [InlineData("020", -1)]
    [InlineData("02000", -1)]
    [InlineData("02A0", -1)]
    [InlineData("", -1)]
    public void An_mti_indexes_by_its_four_digits(string mti, int index) => Assert.Equal(index, PrometheusCoreMetrics.MtiIndex(mti));

    [Theory]
    [InlineData("", 0)]
    [InlineData("00", 1)]
    [InlineData("ZZ", 1296)]
    [InlineData("N7", 1 + (23 * 36) + 7)]
    [InlineData("0", -1)]
    [InlineData("000", -1)]
    [InlineData("a1", -1)]
    [InlineData("0-", -1)]
    public void A_response_code_indexes_by_its_two_characters(string rc, int index) => Assert.Equal(index, PrometheusCoreMetrics.RcIndex(rc));

    [Fact]
    public void Distinct_index_pairs_never_share_a_counter()
    {
        var seen = new HashSet<int>();
        foreach (char a in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            foreach (char b in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                Assert.True(seen.Add(PrometheusCoreMetrics.RcIndex(new string([a, b]))));
        Assert.True(seen.Add(PrometheusCoreMetrics.RcIndex("")));
    }

    [Fact]
    public async Task Odd_labels_are_counted_but_bounded_in_number()
    {
        var metrics = new PrometheusCoreMetrics(processMetrics: false);
        metrics.TransactionCompleted("x1", "zz", 0.001);
        metrics.TransactionCompleted("x1", "zz", 0.001);
        for (int i = 0; i < PrometheusCoreMetrics.LabelValuesMax * 2; i++) metrics.TransactionCompleted("M" + i, "00", 0.001);
        for (int i = 0; i < PrometheusCoreMetrics.LabelValuesMax * 2; i++) metrics.LateResponse("endpoint-" + i);

        var text = await ScrapeAsync(metrics);

        Assert.Equal(2, text.Value("switch_transactions_total", ("mti", "x1"), ("rc", "zz")));
        Assert.InRange(text.Samples.Count(s => s.Name == "switch_transactions_total"), 2, PrometheusCoreMetrics.LabelValuesMax + 1);
        Assert.True(text.Value("switch_transactions_total", ("mti", "other"), ("rc", "other")) > 0);
        Assert.InRange(text.Samples.Count(s => s.Name == "switch_late_responses_total"), 2, PrometheusCoreMetrics.LabelValuesMax + 1);
        Assert.Equal(PrometheusCoreMetrics.LabelValuesMax, text.Value("switch_late_responses_total", ("endpoint", "other")));
    }

    [Fact]
    public async Task Concurrent_callers_lose_no_count()
    {
        var metrics = new PrometheusCoreMetrics(processMetrics: false);
        string[] codes = ["00", "05", "51", "91"];
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++) metrics.TransactionCompleted("0200", codes[i % 4], 0.001);
        })));
        var text = await ScrapeAsync(metrics);
        foreach (string rc in codes) Assert.Equal(10_000, text.Value("switch_transactions_total", ("mti", "0200"), ("rc", rc)));
        Assert.Equal(40_000, text.Value("switch_transaction_duration_seconds_count"));
    }

    [Fact]
    public void Hot_path_calls_allocate_nothing_once_their_labels_were_seen()
    {
        var metrics = new PrometheusCoreMetrics(processMetrics: false);
        (string Mti, string Rc)[] pairs = [("0200", "00"), ("0100", "51"), ("0420", ""), ("0200", "91")];
        foreach (var (mti, rc) in pairs) metrics.TransactionCompleted(mti, rc, 0.001);
        metrics.SafDepth("issuer-a", 1);
        metrics.LateResponse("issuer-a");
        metrics.InFlight(1);
        metrics.DuplicateAnswered();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            var (mti, rc) = pairs[i & 3];
            metrics.InFlight(1);
            metrics.TransactionCompleted(mti, rc, 0.0005 * (i & 15));
            metrics.InFlight(-1);
            metrics.SafDepth("issuer-a", i & 7);
            metrics.LateResponse("issuer-a");
            metrics.DuplicateAnswered();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static async Task<PrometheusText> ScrapeAsync(PrometheusCoreMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
