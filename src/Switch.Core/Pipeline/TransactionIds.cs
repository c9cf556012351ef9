using System.Globalization;

namespace Switch.Core.Pipeline;

/// <summary>
/// Transaction ids unique per node and across restarts: "node-counter", the counter seeded at start with the wall
/// clock in microseconds since 1970 and increased by one per transaction. A restart seeds past every id the previous
/// run gave out as long as the node averaged under a million transactions a second (it cannot, by far).
/// </summary>
public sealed class TransactionIds
{
    private readonly string _prefix;
    private long _counter;

    /// <summary>Ids of node <paramref name="nodeId"/>, seeded from <paramref name="utcNow"/>.</summary>
    public TransactionIds(uint nodeId, DateTime utcNow)
    {
        _prefix = nodeId.ToString(CultureInfo.InvariantCulture) + "-";
        _counter = (utcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    }

    /// <summary>The next id.</summary>
    public string Next()
    {
        long n = Interlocked.Increment(ref _counter);
        return string.Create(_prefix.Length + 17, (_prefix, n), static (span, state) =>
        {
            state._prefix.AsSpan().CopyTo(span);
            // Fixed width keeps ids ordered as text too (17 digits last until the year 5138).
            state.n.TryFormat(span[state._prefix.Length..], out _, "D17", CultureInfo.InvariantCulture);
        });
    }
}
