using System.Globalization;
using Switch.Simulators.Load;

namespace Switch.Cli.Demo;

/// <summary>What the load run measured (the summary's throughput and latency lines).</summary>
internal sealed record DemoLoadResult(double Seconds, long Sent, long Answered, long Unanswered, double ThroughputPerSecond, double P50Ms, double P99Ms,
    IReadOnlyDictionary<string, long> ResponseCodes);

/// <summary>
/// The demo's load run: the load generator (`switch sim load`'s library, <see cref="LoadRunner"/>) in closed loop
/// against the switch's terminals port, from TERM0001 (PIN and MAC on every request), over generated on-us cards.
/// </summary>
internal static class DemoLoad
{
    /// <summary>Generated load-test cards the demo seeds (`db seed demo --cards N`): enough that the load spreads over accounts.</summary>
    public const int GeneratedCards = 1_000;

    private const int Connections = 4;
    private const int InFlight = 16;

    /// <summary>Runs <paramref name="seconds"/> of load; null when none was asked for.</summary>
    public static async Task<DemoLoadResult?> RunAsync(DemoEnvironment environment, int seconds, TextWriter output, CancellationToken ct)
    {
        output.WriteLine();
        if (seconds == 0)
        {
            output.WriteLine("load: none (--load-seconds 0)");
            return null;
        }
        output.WriteLine($"load: {seconds} s closed loop, {Connections} connections x {InFlight} in flight from TERM0001 (PIN and MAC on every request),");
        output.WriteLine($"  over {GeneratedCards} generated on-us cards; mix {LoadMix.Default} (percent)");
        output.Flush();
        var options = new LoadOptions
        {
            Port = environment.Ports.Terminals, Duration = TimeSpan.FromSeconds(seconds), Cards = GeneratedCards, TerminalId = "TERM0001",
            Connections = Connections, InFlight = InFlight,
        };
        LoadReport report;
        try
        {
            report = await LoadRunner.RunAsync(options, new Lines(output), ct).ConfigureAwait(false);
        }
        catch (LoadTargetException ex)
        {
            throw new CliException($"load: {ex.Message}");
        }
        long unanswered = report.Sent - report.Answered;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  done: {report.Answered} answered of {report.Sent} sent in {report.DurationSeconds:0.0} s ({unanswered} unanswered), p50 {report.P50Ms:0.00} ms, p99 {report.P99Ms:0.00} ms, max {report.MaxMs:0.00} ms"));
        output.Flush();
        return new DemoLoadResult(report.DurationSeconds, report.Sent, report.Answered, unanswered, report.ThroughputPerSecond, report.P50Ms, report.P99Ms,
            report.ResponseCodes);
    }

    /// <summary>The once-a-second progress as a narrative line, written at once (no synchronization context to post to).</summary>
    private sealed class Lines(TextWriter output) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress p)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {p.ElapsedSeconds:0} s: {p.CurrentTps:0} /s now, {p.Answered} answered, {p.InFlight} in flight, p99 {p.P99Ms:0.00} ms"));
            output.Flush();
        }
    }
}
