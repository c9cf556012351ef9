using System.Diagnostics;

namespace Switch.Core.Time;

/// <summary>
/// The switch's two clocks behind one seam (FAULTS.md F19): a monotonic clock for every timeout, deadline and latency
/// (never affected by a wall-clock step), and the UTC wall clock for DE7, DE12/DE13 and journal times only. Tests
/// replace it; nothing in the core reads <see cref="DateTime.UtcNow"/> or <see cref="Stopwatch"/> directly.
/// </summary>
public interface IClock
{
    /// <summary>Monotonic timestamp in <see cref="Stopwatch"/> ticks (<see cref="Stopwatch.Frequency"/> per second).</summary>
    long MonotonicTicks { get; }

    /// <summary>UTC wall-clock time.</summary>
    DateTime UtcNow { get; }
}

/// <summary>The process's clocks.</summary>
public sealed class SystemClock : IClock
{
    /// <summary>The one instance.</summary>
    public static SystemClock Instance { get; } = new();

    private SystemClock() { }

    /// <inheritdoc/>
    public long MonotonicTicks => Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public DateTime UtcNow => DateTime.UtcNow;
}

/// <summary>Conversions between monotonic ticks and durations.</summary>
public static class ClockExtensions
{
    /// <summary>Time elapsed on the monotonic clock since <paramref name="startTicks"/>.</summary>
    public static TimeSpan ElapsedSince(this IClock clock, long startTicks) => Stopwatch.GetElapsedTime(startTicks, clock.MonotonicTicks);

    /// <summary>A monotonic deadline <paramref name="after"/> from now.</summary>
    public static long DeadlineAfter(this IClock clock, TimeSpan after) => clock.MonotonicTicks + (long)(after.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Whether the monotonic <paramref name="deadlineTicks"/> has passed.</summary>
    public static bool HasPassed(this IClock clock, long deadlineTicks) => clock.MonotonicTicks >= deadlineTicks;

    /// <summary>Microseconds between two monotonic timestamps.</summary>
    public static long MicrosecondsBetween(long startTicks, long endTicks) => (endTicks - startTicks) * 1_000_000 / Stopwatch.Frequency;
}
