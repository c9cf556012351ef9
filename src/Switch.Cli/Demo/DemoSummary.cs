using System.Globalization;
using Switch.Cli.Commands;
using Switch.Journal.Projection;

namespace Switch.Cli.Demo;

/// <summary>
/// The demo's final block: stable `key: value` lines a script can read (transactions, by DE39, throughput, latency,
/// journal), then where to look next. The journal line is `journal verify`'s verdict, computed by the same library
/// (<see cref="JournalVerifier"/>) while the switch and its mock Kafka cluster still run.
/// </summary>
internal static class DemoSummary
{
    /// <summary>How long the projection may take to catch up with the journal before verify's verdict is taken as final.</summary>
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Writes the summary; a journal that does not agree within the catch-up time is the demo's error.</summary>
    public static async Task WriteAsync(DemoEnvironment environment, DemoTally tally, DemoLoadResult? load, TextWriter output, CancellationToken ct)
    {
        var all = new DemoTally();
        foreach (var (code, n) in tally.Codes) all.Add(code, n);
        if (load is not null) foreach (var (code, n) in load.ResponseCodes) all.Add(code, n);
        var report = await VerifyAsync(environment, ct).ConfigureAwait(false);

        var i = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine("summary");
        output.WriteLine(string.Create(i, $"  transactions: {all.Count}"));
        output.WriteLine($"  by DE39: {string.Join(", ", all.Codes.Select(kv => string.Create(i, $"{kv.Key}={kv.Value}")))}");
        output.WriteLine(string.Create(i, $"  scenario: {tally.Count} exchanges in {DemoScenario.Steps} steps; load: {load?.Sent ?? 0} transactions in {load?.Seconds ?? 0:0.0} s"));
        if (load is not null)
        {
            output.WriteLine(string.Create(i, $"  throughput: {load.ThroughputPerSecond:0.0} /s"));
            output.WriteLine(string.Create(i, $"  latency p50/p99: {load.P50Ms:0.00}/{load.P99Ms:0.00} ms"));
        }
        output.WriteLine(string.Create(i, $"  journal: {report.Kafka.Records} legs in Kafka, {report.Postgres.Records} rows in Postgres, verify: {(report.Agree ? "ok" : "NOT in agreement")}"));
        output.WriteLine();
        output.WriteLine("next");
        output.WriteLine("  ./switch demo --serve             keep this environment up and send it your own transactions (addresses printed)");
        output.WriteLine($"  ./switch journal find --since 10m --config {environment.ConfigPath}   every leg of this run, masked");
        output.WriteLine($"  ./switch routes list --config {environment.ConfigPath}                 the BIN and ISO 20022 routes");
        output.WriteLine($"  {environment.LogPath}   the switch's own log of this run");
        output.WriteLine("  docs/demo.md (the data set, this demo), docs/core.md (how a transaction goes through), docs/simulators.md");
        output.Flush();
        if (!report.Agree) throw new CliException($"journal verify: {JournalCommands.Disagreement(report)}");
    }

    /// <summary>`journal verify` against the running switch: repeated until the projection has caught up, or the catch-up time is over.</summary>
    private static async Task<VerifyReport> VerifyAsync(DemoEnvironment environment, CancellationToken ct)
    {
        var settings = environment.Settings;
        await using var dataSource = settings.Postgres.CreateDataSource();
        var sources = new VerifySources(settings.Journal.Spool.Directory, settings.Journal.NodeId, environment.Host.Journal!.Journal.BootstrapServers,
            settings.Journal.Kafka.Topic, dataSource, settings.Projector.ConsumerGroup, TimeSpan.FromSeconds(10), settings.Journal.Kafka.IsMock);
        long deadline = Environment.TickCount64 + (long)CatchUpTimeout.TotalMilliseconds;
        while (true)
        {
            var report = await JournalVerifier.VerifyAsync(sources, ct).ConfigureAwait(false);
            if (report.Agree || Environment.TickCount64 > deadline) return report;
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }
}
