namespace Switch.Cli.Demo;

/// <summary>What the load run measured (the summary's throughput and latency lines).</summary>
internal sealed record DemoLoadResult(double Seconds, long Sent, long Answered, long Errors, double ThroughputPerSecond, double P50Ms, double P99Ms,
    IReadOnlyDictionary<string, long> ResponseCodes);

/// <summary>The demo's load run: the load generator (`switch sim load`'s library) against the switch's terminals port.</summary>
internal static class DemoLoad
{
    /// <summary>Generated load-test cards the demo seeds (`db seed demo --cards N`) for the load run.</summary>
    public const int GeneratedCards = 0;

    /// <summary>Runs <paramref name="seconds"/> of load; null when no load was asked for.</summary>
    public static Task<DemoLoadResult?> RunAsync(DemoEnvironment environment, int seconds, TextWriter output, CancellationToken ct)
    {
        output.WriteLine();
        output.WriteLine($"load: {seconds} s asked for; the load generator (Switch.Simulators.Load) is not part of this build yet, so no load runs");
        return Task.FromResult<DemoLoadResult?>(null);
    }
}
