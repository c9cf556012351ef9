using System.CommandLine;
using System.Text.Json;
using Serilog;
using Serilog.Events;
using Switch.Simulators.Hsm;
using Switch.Security.Keys;

namespace Switch.Cli.Commands;

/// <summary><c>switch sim …</c>: the simulators. Other simulators (pos, atm, issuer, acquirer, echo, load) add their sub-commands here.</summary>
public static class SimCommands
{
    /// <summary>Builds the <c>sim</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("sim", "Simulators for development and certification testing.");
        group.Subcommands.Add(HsmSimCommand.Create());
        group.Subcommands.Add(IssuerSimCommand.Create());
        group.Subcommands.Add(PosSimCommand.Create());
        group.Subcommands.Add(EchoSimCommand.Create());
        group.Subcommands.Add(LoadSimCommand.Create());
        return group;
    }
}

/// <summary><c>switch sim hsm --port P</c>: a payShield-protocol HSM on 127.0.0.1 answering with the software back end.</summary>
public static class HsmSimCommand
{
    /// <summary>Builds the <c>hsm</c> sub-command.</summary>
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1.", Required = true };
        var store = new Option<string>("--store") { Description = "Key store directory holding the LMK (default $SWITCH_KEY_STORE or ./.switch; create it with `switch keys init`).", DefaultValueFactory = _ => SecurityBackendOptions.DefaultStore };
        var delay = new Option<int>("--delay-ms") { Description = "Delay every response (fault injection: a slow HSM).", DefaultValueFactory = _ => 0 };
        var header = new Option<int>("--header-length") { Description = "Message header length (must match the client).", DefaultValueFactory = _ => 4 };
        var productionOnly = new Option<bool>("--production-commands-only")
        {
            Description = "Answer only commands a real payShield has: refuse the simulator-only test commands ZA, ZC and ZE with error ZZ, like any unknown command.",
        };
        var cmd = new Command("hsm", "Run a payShield host-protocol simulator on 127.0.0.1 until interrupted. Simulator-only test commands for "
            + "certification and test tooling (ZA: generate an ARQC; ZC/ZE: derive and return TDES/AES DUKPT keys) are ON by default; "
            + "--production-commands-only turns them off.") { port, store, delay, header, productionOnly };
        cmd.SetAction(async (r, ct) =>
        {
            int p = r.GetValue(port);
            if (p is < 0 or > 65535) throw new CliException("--port: must be 0-65535");
            int delayMs = r.GetValue(delay);
            if (delayMs is < 0 or > 60_000) throw new CliException("--delay-ms: must be 0-60000");
            Log.Logger = new LoggerConfiguration().MinimumLevel.Information()
                .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose).CreateLogger();
            using Lmk lmk = LoadOrThrowaway(r.GetValue(store)!, out bool throwaway);
            var options = new PayShieldSimulatorOptions { Port = p, HeaderLength = r.GetValue(header), ProductionCommandsOnly = r.GetValue(productionOnly) };
            await using var simulator = new PayShieldSimulator(lmk, options) { ResponseDelayMs = delayMs };
            simulator.Start();
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["listening"] = $"127.0.0.1:{simulator.Port}", ["lmk_kcv"] = lmk.CheckValue, ["lmk"] = throwaway ? "throwaway" : "store" }));
            Console.Out.Flush();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            try { await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { /* Ctrl+C or SIGTERM: shut down cleanly */ }
            Log.Information("payShield simulator stopping after {Commands} commands", simulator.CommandsHandled);
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The store's LMK, or, when the store has none, a random LMK for this run only, so that
    /// `switch sim hsm --port P` works on a fresh clone (keys must then reach it through the protocol).
    /// </summary>
    private static Lmk LoadOrThrowaway(string store, out bool throwaway)
    {
        throwaway = !File.Exists(Path.Combine(store, Lmk.FileName));
        if (!throwaway) return Lmk.Load(store);
        Log.Warning("No LMK in {Store}: the simulator uses a throwaway LMK for this run (run `switch keys init` for a persistent one)", store);
        return Lmk.Generate();
    }
}
