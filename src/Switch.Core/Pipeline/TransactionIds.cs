using System.Globalization;

namespace Switch.Core.Pipeline;

/// <summary>
/// Transaction ids unique per node and across restarts: "node-counter", the counter seeded at start with the wall
/// clock in microseconds since 1970 and increased by one per transaction. A restart seeds past every id the previous
/// run gave out as long as the node averaged under a million transactions a second (it cannot, by far). The 17 digits
/// are written 9-8 ("7-017964213-94618725"): the journal refuses 13 or more digits in a row in a Detail (a PAN guard),
/// and other parts quote transaction ids there.
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
        return string.Create(_prefix.Length + 18, (_prefix, n), static (span, state) =>
        {
            state._prefix.AsSpan().CopyTo(span);
            // Fixed width keeps ids ordered as text too (17 digits last until the year 5138).
            Span<char> digits = stackalloc char[17];
            state.n.TryFormat(digits, out _, "D17", CultureInfo.InvariantCulture);
            var rest = span[state._prefix.Length..];
            digits[..9].CopyTo(rest);
            rest[9] = '-';
            digits[9..].CopyTo(rest[10..]);
        });
    }
}
