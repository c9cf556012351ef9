namespace Switch.Core.Issuers;

/// <summary>
/// A circuit breaker per connector over issuer timeouts: after <c>failuresMax</c> unanswered legs in a row it opens
/// for <c>openMs</c> (transactions go to the route's failover, or stand-in, at once instead of waiting out the
/// timeout), then lets one leg through per period; an answer closes it, another timeout keeps it open.
/// </summary>
internal sealed class IssuerBreaker(int failuresMax, int openMs)
{
    private int _failures;
    private long _openUntilMs;

    /// <summary>Whether a leg may be sent now: closed, or the one probe of this period of an open breaker.</summary>
    public bool Allows(long nowMs)
    {
        long until = Volatile.Read(ref _openUntilMs);
        if (until == 0) return true;
        if (nowMs < until) return false;
        // The first caller past the period probes, and re-arms the period: a probe that never reports blocks nothing for long.
        return Interlocked.CompareExchange(ref _openUntilMs, nowMs + openMs, until) == until;
    }

    /// <summary>Whether it is open now.</summary>
    public bool IsOpen(long nowMs)
    {
        long until = Volatile.Read(ref _openUntilMs);
        return until != 0 && nowMs < until;
    }

    /// <summary>An answer arrived: closed.</summary>
    public void Succeeded()
    {
        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _openUntilMs, 0);
    }

    /// <summary>A leg went unanswered; true when this opened the breaker.</summary>
    public bool Failed(long nowMs)
    {
        bool wasOpen = Volatile.Read(ref _openUntilMs) != 0;
        if (Interlocked.Increment(ref _failures) < failuresMax && !wasOpen) return false;
        Volatile.Write(ref _openUntilMs, nowMs + openMs);
        return !wasOpen;
    }
}
