using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Switch.Cli.Demo;

/// <summary>What `switch demo` was asked for.</summary>
internal sealed record DemoOptions(bool Serve, string Hsm, string? ConfigPath, bool AutoPorts, int LoadSeconds);

/// <summary>
/// <c>switch demo [--serve] [--hsm software|payshield] [--config F] [--ports default|auto] [--load-seconds N]</c>:
/// the whole switch in one process on the demo data set (docs/demo.md). Without --serve it narrates a scenario, runs
/// a short load and prints a summary, then stops everything; with --serve it keeps the environment up until Ctrl-C
/// or SIGTERM.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Most seconds of load a run may ask for.</summary>
    public const int LoadSecondsMax = 600;

    /// <summary>Builds the <c>demo</c> verb.</summary>
    public static Command Create()
    {
        var serve = new Option<bool>("--serve") { Description = "Bring the environment up and keep it running until Ctrl-C or SIGTERM (prints the addresses)." };
        var hsm = new Option<string>("--hsm") { Description = "Security back end: software (default) or payshield (the payShield simulator in process, on a free loopback port)." };
        var config = new Option<string>("--config") { Description = $"Base configuration (default {Commands.RunCommand.DefaultConfigPath}): its database, key store and spool are the demo's." };
        var ports = new Option<string>("--ports") { Description = "default: the configuration's ports (8583, 9583, 9102, 8620, 8680); auto: free loopback ports (tests)." };
        var load = new Option<string>("--load-seconds") { Description = $"Seconds of load after the scenario (default 10, 0 to {LoadSecondsMax})." };
        var cmd = new Command("demo", "Run the switch on the demo data set (TEST DATA: docs/demo.md) and narrate a scenario, a load run and a summary; --serve keeps it up.")
        {
            serve, hsm, config, ports, load,
        };
        cmd.SetAction(r =>
        {
            var options = new DemoOptions(r.GetValue(serve), ParseHsm(r.GetValue(hsm)), r.GetValue(config), ParsePorts(r.GetValue(ports)),
                ParseLoadSeconds(r.GetValue(load)));
            return RunAsync(options).GetAwaiter().GetResult();
        });
        return cmd;
    }

    private static string ParseHsm(string? value) => value switch
    {
        null or "software" => "software",
        "payshield" => "payshield",
        _ => throw new CliException($"--hsm: '{Printable(value)}' is not a back end; expected software or payshield"),
    };

    private static bool ParsePorts(string? value) => value switch
    {
        null or "default" => false,
        "auto" => true,
        _ => throw new CliException($"--ports: '{Printable(value)}' is not a port choice; expected default or auto"),
    };

    private static int ParseLoadSeconds(string? value)
    {
        if (value is null) return 10;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > LoadSecondsMax)
            throw new CliException($"--load-seconds: '{Printable(value)}' is not a number of seconds; expected 0 to {LoadSecondsMax}");
        return n;
    }

    private static string Printable(string value)
    {
        string cut = value.Length > 40 ? value[..40] + "…" : value;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    /// <summary>
    /// Everything runs in this process, so Ctrl-C and SIGTERM only cancel: the environment is then disposed in order
    /// (listeners, switch, simulators, journal) and a killed process leaves no child or listener behind either.
    /// </summary>
    private static async Task<int> RunAsync(DemoOptions options)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => Cancel(ctx, stop));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => Cancel(ctx, stop));
        var output = Console.Out;
        DemoEnvironment? environment = null;
        try
        {
            environment = await DemoEnvironment.StartAsync(options, output, stop.Token).ConfigureAwait(false);
            if (options.Serve) return await ServeAsync(environment, output, stop.Token).ConfigureAwait(false);
            var tally = new DemoTally();
            await new DemoScenario(environment, output, tally).RunAsync(stop.Token).ConfigureAwait(false);
            var load = await DemoLoad.RunAsync(environment, options.LoadSeconds, output, stop.Token).ConfigureAwait(false);
            await DemoSummary.WriteAsync(environment, tally, load, output, stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (options.Serve) return 0;
            throw new CliException("demo interrupted; everything it started is stopped");
        }
        finally
        {
            if (environment is not null) await environment.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<int> ServeAsync(DemoEnvironment environment, TextWriter output, CancellationToken stop)
    {
        output.WriteLine();
        output.WriteLine("serving: the environment above stays up until Ctrl-C or SIGTERM. Try, in another shell:");
        foreach (string line in environment.ExploreCommands()) output.WriteLine("  " + line);
        output.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("stopping: switch, simulators and journal");
        }
        return 0;
    }

    private static void Cancel(PosixSignalContext context, CancellationTokenSource stop)
    {
        context.Cancel = true;
        stop.Cancel();
    }
}
