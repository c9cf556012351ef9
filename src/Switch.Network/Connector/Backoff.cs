namespace Switch.Network.Connector;

/// <summary>Capped exponential backoff with "equal jitter": half the delay fixed, half random, so reconnecting peers do not stampede.</summary>
public sealed class Backoff(int initialDelayMs, int delayMsMax)
{
    private int _attempt;

    /// <summary>The delay before the next attempt; each call doubles the base up to the cap.</summary>
    public TimeSpan Next()
    {
        double baseMs = Math.Min(delayMsMax, initialDelayMs * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        double half = baseMs / 2;
        return TimeSpan.FromMilliseconds(half + (Random.Shared.NextDouble() * half));
    }

    /// <summary>Back to the initial delay after a success.</summary>
    public void Reset() => _attempt = 0;
}
