using System.CommandLine;
using Switch.Iso8583.Spec;
using System.Runtime.InteropServices;
using Serilog;
using Switch.Cli.Hosting;
using Switch.Common.Configuration;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Management;

namespace Switch.Cli.Commands;

/// <summary><c>switch run [--config F] [--check]</c>: starts the listeners and connectors of the configuration until Ctrl-C or SIGTERM.</summary>
public static class RunCommand
{
    /// <summary>Where the configuration is looked for when --config is not given.</summary>
    public const string DefaultConfigPath = "config/switch.json";

    /// <summary>Builds the <c>run</c> verb.</summary>
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = $"Configuration file (default {DefaultConfigPath})." };
        var check = new Option<bool>("--check") { Description = "Validate the configuration and exit." };
        var cmd = new Command("run", "Run the switch: listeners and connectors from the configuration; Ctrl-C or SIGTERM shuts down gracefully.") { config, check };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(config) ?? DefaultConfigPath;
            var settings = LoadConfig(path);
            if (r.GetValue(check))
            {
                Console.Out.WriteLine($"{path}: OK ({settings.Summary()})");
                return 0;
            }
            return RunAsync(settings.Network, settings.Specs).GetAwaiter().GetResult();
        });
        return cmd;
    }

    private static HostSettings LoadConfig(string path)
    {
        try
        {
            return HostSettings.Load(path, Environment.GetEnvironmentVariables());
        }
        catch (ConfigException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    private static async Task<int> RunAsync(NetworkConfig network, SpecRegistry specs)
    {
        // Socket completions stay on the thread pool (the runtime's default): with the session running
        // straight in the receive completion, inline completions cost more CPU per round trip at every
        // shape measured (docs/benchmarks.md, Network).
        using var log = new LoggerConfiguration().MinimumLevel.Information()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        Log.Logger = log;
        using var stop = new CancellationTokenSource();
        // Ctrl-C and SIGTERM (systemd stop) both mean a graceful shutdown, not an abrupt exit.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => Shutdown(ctx, stop));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => Shutdown(ctx, stop));
        var listeners = new List<IsoListener>();
        var connectors = new List<IsoConnector>();
        try
        {
            StartAll(network, specs, log, listeners, connectors);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await StopAllAsync(listeners, connectors).ConfigureAwait(false);
            throw new CliException($"cannot start: {ex.Message}");
        }
        log.Information("Switch running: {Listeners} listeners, {Connectors} connectors; Ctrl-C to stop", listeners.Count, connectors.Count);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.Information("Shutting down");
        }
        await StopAllAsync(listeners, connectors).ConfigureAwait(false);
        log.Information("Stopped");
        return 0;
    }

    /// <summary>Starts every listener, then every connector; what started is in the lists when one fails.</summary>
    private static void StartAll(NetworkConfig network, SpecRegistry specs, ILogger log, List<IsoListener> listeners, List<IsoConnector> connectors)
    {
        foreach (var options in network.Listeners)
        {
            var listener = new IsoListener(options, specs, new NetworkManagementHandler(), log);
            try
            {
                listener.Start();
                listeners.Add(listener);
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                throw new System.Net.Sockets.SocketException((int)ex.SocketErrorCode, $"listener {options.Name} on {options.Bind}:{options.Port}: {ex.Message}");
            }
        }
        foreach (var options in network.Connectors)
        {
            var connector = new IsoConnector(options, specs, log);
            connector.Start();
            connectors.Add(connector);
        }
    }

    private static void Shutdown(PosixSignalContext context, CancellationTokenSource stop)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    private static async Task StopAllAsync(List<IsoListener> listeners, List<IsoConnector> connectors)
    {
        await Task.WhenAll(listeners.Select(l => l.StopAsync(CancellationToken.None))).ConfigureAwait(false);
        foreach (var c in connectors) await c.DisposeAsync().ConfigureAwait(false);
        foreach (var l in listeners) await l.DisposeAsync().ConfigureAwait(false);
    }
}
