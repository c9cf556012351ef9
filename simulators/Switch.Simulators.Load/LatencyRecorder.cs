using System.Diagnostics;
using HdrHistogram;

namespace Switch.Simulators.Load;

/// <summary>
/// Latencies in microseconds in HdrHistogram (3 significant digits, up to an hour): the run's total and the current
/// second's interval (for the progress line's p99). Thread-safe by a lock: a few connections share one recorder, so
/// the lock is rarely contended and the histograms' memory stays bounded however many connections there are.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>Highest value tracked (an hour in microseconds); a larger one is clamped.</summary>
    public const long HighestMicros = 3_600_000_000L;

    private readonly object _lock = new();
    private readonly LongHistogram _total = NewHistogram();
    private readonly LongHistogram _interval = NewHistogram();

    public static LongHistogram NewHistogram() => new(HighestMicros, 3);

    /// <summary>Records the time from <paramref name="fromTicks"/> (the intended or actual send) to <paramref name="toTicks"/> (Stopwatch ticks).</summary>
    public void Record(long fromTicks, long toTicks)
    {
        long micros = Math.Clamp((toTicks - fromTicks) * 1_000_000 / Stopwatch.Frequency, 0, HighestMicros);
        lock (_lock)
        {
            _total.RecordValue(micros);
            _interval.RecordValue(micros);
        }
    }

    /// <summary>Adds the interval since the last call to <paramref name="into"/> and starts a new interval.</summary>
    public void DrainInterval(LongHistogram into)
    {
        lock (_lock)
        {
            into.Add(_interval);
            _interval.Reset();
        }
    }

    /// <summary>Adds the run's total to <paramref name="into"/>.</summary>
    public void AddTotal(LongHistogram into)
    {
        lock (_lock) into.Add(_total);
    }
}
