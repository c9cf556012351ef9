using System.CommandLine;
using System.Globalization;
using Switch.Simulators.Load;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch sim load [--target HOST:PORT]</c>: the load generator (docs/simulators.md). A progress line on stderr
/// each second, the table on stdout, <c>--json F</c> and <c>--html F</c> reports.
/// </summary>
public static class LoadSimCommand
{
    /// <summary>Builds the <c>load</c> sub-command.</summary>
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "The switch's terminals listener (or an echo), HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:8583" };
        var tps = new Option<int?>("--tps") { Description = "Open loop at this constant arrival rate (requests/s over all connections); latency from the intended send time. Without it: closed loop." };
        var connections = new Option<int>("--connections") { Description = $"TCP connections (1-{LoadOptions.ConnectionsMax}).", DefaultValueFactory = _ => 8 };
        var inflight = new Option<int?>("--inflight") { Description = $"Requests outstanding per connection: the closed loop's window (default 32), the open loop's cap (default 1000); 1-{LoadOptions.InFlightMax}." };
        var duration = new Option<double>("--duration") { Description = "Seconds of sending (then answers are awaited up to --timeout-ms).", DefaultValueFactory = _ => 10 };
        var mix = new Option<string>("--mix") { Description = "Percentages, summing to 100: purchase=P,withdrawal=W,inquiry=I,reversal=R (a kind left out is 0).", DefaultValueFactory = _ => LoadMix.Default.ToString() };
        var cards = new Option<int>("--cards") { Description = "Draw from the first N generated cards (`switch db seed demo --cards N`); 0: the demo cards A-F.", DefaultValueFactory = _ => 0 };
        var terminal = new Option<string>("--terminal") { Description = "Terminal id (DE 41): TERM0001 sends a MAC, TERM0002 does not.", DefaultValueFactory = _ => "TERM0001" };
        var timeout = new Option<int>("--timeout-ms") { Description = "A request unanswered this long is a timeout.", DefaultValueFactory = _ => 5000 };
        var framing = new Option<string>("--framing") { Description = "Length framing: binary2, binary2-inclusive, bcd2, ascii4.", DefaultValueFactory = _ => "binary2" };
        var header = new Option<string>("--header") { Description = "Frame header: none or tpdu.", DefaultValueFactory = _ => "none" };
        var json = new Option<string>("--json") { Description = "Also write the report as JSON to this file." };
        var html = new Option<string>("--html") { Description = "Also write a self-contained HTML report (table and latency-percentile plot) to this file." };
        var compareEcho = new Option<bool>("--compare-echo") { Description = "Then run the same load shape against an in-process framed echo and print the ratios." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress line." };
        var cmd = new Command("load", "Drive load at the switch: open loop (--tps) or closed loop (--connections x --inflight), a mix of purchases, "
            + "withdrawals, inquiries and reversals with PIN and MAC as the terminal requires; latency in HdrHistogram; a table on stdout.")
        {
            target, tps, connections, inflight, duration, mix, cards, terminal, timeout, framing, header, json, html, compareEcho, quiet,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var options = Options(r.GetValue(target)!, r.GetValue(tps), r.GetValue(connections), r.GetValue(inflight), r.GetValue(duration), r.GetValue(mix)!)
                with
            {
                Cards = r.GetValue(cards), TerminalId = r.GetValue(terminal)!, TimeoutMs = r.GetValue(timeout), Framing = r.GetValue(framing)!,
                Header = r.GetValue(header)!, CompareEcho = r.GetValue(compareEcho),
            };
            SimRun.Framing(options.Framing, options.Header);
            options.Validate();
            var progress = r.GetValue(quiet) ? null : new Progress(Console.Error);
            LoadReport report;
            try
            {
                report = await LoadRunner.RunAsync(options, progress, ct).ConfigureAwait(false);
            }
            catch (LoadTargetException ex)
            {
                throw new CliException(ex.Message);
            }
            Console.Out.Write(report.ToTable());
            Console.Out.Flush();
            if (r.GetValue(json) is { } jsonFile) await File.WriteAllTextAsync(jsonFile, report.ToJson() + "\n", CancellationToken.None).ConfigureAwait(false);
            if (r.GetValue(html) is { } htmlFile) await File.WriteAllTextAsync(htmlFile, report.ToHtml(), CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    private static LoadOptions Options(string target, int? tps, int connections, int? inflight, double duration, string mix)
    {
        (string host, int port) = Target(target);
        if (!double.IsFinite(duration) || duration <= 0 || duration > LoadOptions.DurationMax) throw new CliException($"--duration: must be more than 0 and at most {LoadOptions.DurationMax} seconds");
        LoadMix parsed;
        try
        {
            parsed = LoadMix.Parse(mix);
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"--{ex.Message}");
        }
        if (tps is < 1 or > LoadOptions.TpsMax) throw new CliException($"--tps: must be 1 to {LoadOptions.TpsMax}");
        if (connections is < 1 or > LoadOptions.ConnectionsMax) throw new CliException($"--connections: must be 1 to {LoadOptions.ConnectionsMax}");
        if (inflight is < 1 or > LoadOptions.InFlightMax) throw new CliException($"--inflight: must be 1 to {LoadOptions.InFlightMax}");
        return new LoadOptions
        {
            Host = host, Port = port, Mode = tps is null ? LoadMode.Closed : LoadMode.Open, Tps = tps ?? 1, Connections = connections,
            InFlight = inflight ?? (tps is null ? 32 : 1000), Duration = TimeSpan.FromSeconds(duration), Mix = parsed,
        };
    }

    /// <summary>HOST:PORT (the port after the last colon).</summary>
    private static (string Host, int Port) Target(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new CliException($"--target: '{text}' is not HOST:PORT with a port 1-65535");
        return (text[..colon], port);
    }

    /// <summary>Writes each progress report as one line on stderr.</summary>
    private sealed class Progress(TextWriter writer) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value)
        {
            writer.WriteLine(value.ToString());
            writer.Flush();
        }
    }
}
