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

/// <summary>
/// <c>switch run [--config F] [--check]</c>: with a "core" section, the payment switch (<see cref="SwitchHost"/>:
/// pipeline, master data, routes, journal, admin endpoint); without one, a network front end that answers 08xx and
/// declines card requests 91. Runs until Ctrl-C or SIGTERM, then shuts down gracefully.
/// </summary>
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
            return settings.Core is null
                ? RunAsync(settings.Network, settings.Specs).GetAwaiter().GetResult()
                : RunSwitchAsync(settings).GetAwaiter().GetResult();
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

    private static Serilog.Core.Logger CreateLog()
    {
        // Socket completions stay on the thread pool (the runtime's default): with the session running
        // straight in the receive completion, inline completions cost more CPU per round trip at every
        // shape measured (docs/benchmarks.md, Network).
        var log = new LoggerConfiguration().MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        Log.Logger = log;
        return log;
    }

    /// <summary>The payment switch until a signal; a start-up problem is one error line (exit 1).</summary>
    private static async Task<int> RunSwitchAsync(HostSettings settings)
    {
        using var log = CreateLog();
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => Shutdown(ctx, stop));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => Shutdown(ctx, stop));
        SwitchHost host;
        try
        {
            host = await SwitchHost.StartAsync(settings, log, stop.Token).ConfigureAwait(false);
        }
        catch (HostStartException ex)
        {
            throw new CliException($"cannot start: {ex.Message}");
        }
        catch (ConfigException ex)
        {
            throw new CliException(settings.Configuration.Attribute(ex).Message);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            log.Information("Stopped before the start completed");
            return 0;
        }
        log.Information("Switch running: {Listeners} listeners, {Connectors} connectors, admin {Admin}; Ctrl-C to stop", host.Listeners.Count,
            settings.Network.Connectors.Count, host.Admin is null ? "off" : $"{settings.Admin.Bind}:{host.Admin.Port}");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.Information("Shutting down");
        }
        await host.DisposeAsync().ConfigureAwait(false);
        log.Information("Stopped");
        return 0;
    }

    private static async Task<int> RunAsync(NetworkConfig network, SpecRegistry specs)
    {
        using var log = CreateLog();
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
