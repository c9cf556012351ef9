using BenchmarkDotNet.Attributes;
using Prometheus;
using Switch.Admin.Metrics;
using Switch.Core.Metrics;

namespace Switch.Benchmarks;

/// <summary>
/// The cost of one <see cref="ICoreMetrics.TransactionCompleted"/> call (the hot path: once per transaction): the
/// cached-children table of <see cref="PrometheusCoreMetrics"/> against prometheus-net's own label look-up
/// (<c>WithLabels(mti, rc)</c> per call) and against no metrics at all. Each invocation makes <see cref="Batch"/> calls
/// over eight (MTI, DE39) pairs; ns per call = mean (BenchmarkDotNet divides by OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class AdminMetricsBenchmarks
{
    /// <summary>Calls per invocation.</summary>
    public const int Batch = 1024;

    private static readonly (string Mti, string Rc)[] Pairs =
        [("0200", "00"), ("0200", "51"), ("0100", "00"), ("0100", "05"), ("0420", "00"), ("0200", "91"), ("0220", "00"), ("0200", "")];

    private readonly ICoreMetrics _none = NoCoreMetrics.Instance;
    private PrometheusCoreMetrics _cached = null!;
    private Counter _lookupCounter = null!;
    private Histogram _lookupLatency = null!;

    /// <summary>Creates both registries and touches every pair once (the first call of a pair creates its child).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _cached = new PrometheusCoreMetrics(processMetrics: false);
        var factory = Metrics.WithCustomRegistry(Metrics.NewCustomRegistry());
        _lookupCounter = factory.CreateCounter("t_total", "t", new CounterConfiguration { LabelNames = ["mti", "rc"] });
        _lookupLatency = factory.CreateHistogram("t_seconds", "t", new HistogramConfiguration { Buckets = PrometheusCoreMetrics.LatencyBuckets });
        foreach (var (mti, rc) in Pairs)
        {
            _cached.TransactionCompleted(mti, rc, 0.001);
            _lookupCounter.WithLabels(mti, rc.Length == 0 ? "none" : rc).Inc();
        }
    }

    /// <summary>No metrics (the floor: the loop and the interface call).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void NoMetrics()
    {
        for (int i = 0; i < Batch; i++)
        {
            var (mti, rc) = Pairs[i & 7];
            _none.TransactionCompleted(mti, rc, 0.0012);
        }
    }

    /// <summary>PrometheusCoreMetrics: two array reads for the counter child, one histogram observation.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void CachedChildren()
    {
        ICoreMetrics metrics = _cached;
        for (int i = 0; i < Batch; i++)
        {
            var (mti, rc) = Pairs[i & 7];
            metrics.TransactionCompleted(mti, rc, 0.0012);
        }
    }

    /// <summary>prometheus-net's label look-up on every call (what the cache avoids).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void WithLabelsPerCall()
    {
        for (int i = 0; i < Batch; i++)
        {
            var (mti, rc) = Pairs[i & 7];
            _lookupCounter.WithLabels(mti, rc.Length == 0 ? "none" : rc).Inc();
            _lookupLatency.Observe(0.0012);
        }
    }
}
