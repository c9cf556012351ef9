namespace Switch.Security.Tests;

/// <summary>A token for one test call: cancelled after a minute, so a broken back end fails the test instead of hanging it.</summary>
public static class TestTimeout
{
    /// <summary>A fresh token that cancels after 60 s (generous for a loaded machine).</summary>
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;
}
