using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switch.Simulators.Card;
using Xunit;

namespace Switch.Testing;

/// <summary>
/// A real `switch run` on loopback ports: a throwaway Postgres database seeded with the demo data set by the real
/// `switch db seed demo`, a temp key store and spool (mock Kafka), the issuer simulator in this process on the
/// issuer-sim connector's port, and the switch as a child process, stopped with SIGTERM (or killed with SIGKILL).
/// Test projects shape it by deriving and overriding <see cref="Customize"/> (a fixture class per shape).
/// </summary>
public class SwitchProcess : IAsyncLifetime
{
    private readonly ThrowawayDatabase _database = new("e2e_test_");
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("switch-e2e-").FullName;
    private readonly StringBuilder _output = new();
    private TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private int? _issuerPort;

    /// <summary>The terminals listener's port.</summary>
    public int TerminalPort { get; } = FreePort();

    /// <summary>The admin endpoint's port.</summary>
    public int AdminPort { get; } = FreePort();

    /// <summary>The ISO 20022 HTTP endpoint's port (POST /iso20022).</summary>
    public int Iso20022HttpPort { get; } = FreePort();

    /// <summary>The ISO 20022 TCP listener's port (4-byte length framing).</summary>
    public int Iso20022TcpPort { get; } = FreePort();

    /// <summary>The issuer simulator behind the issuer-sim connector (null when <see cref="StartsIssuer"/> is false).</summary>
    public IssuerSimulator Issuer { get; private set; } = null!;

    /// <summary>
    /// False when something else hosts the issuer (the certification runner's --issuer-port): no simulator is started
    /// here, the connector points at <see cref="IssuerPort"/>, and the start does not wait for a sign-on.
    /// </summary>
    protected virtual bool StartsIssuer => true;

    /// <summary>The port the issuer-sim connector points at.</summary>
    public int IssuerPort { get; private set; }

    /// <summary>The configuration file.</summary>
    public string ConfigPath => Path.Combine(_dir, "switch.json");

    /// <summary>What the switch printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The throwaway database the switch runs on.</summary>
    public ThrowawayDatabase Database => _database;

    /// <summary>The test's temp directory (key store under keys/, spool under spool/).</summary>
    public string Directory => _dir;

    /// <summary>The running switch's process id (the tests kill only this one).</summary>
    public int ProcessId => _process?.Id ?? 0;

    /// <summary>The issuer simulator's options; override to make it misbehave from the start.</summary>
    protected virtual IssuerSimulatorOptions IssuerOptions() => new() { Port = 0 };

    /// <summary>Changes the configuration before it is written (extra sections, shorter timeouts, more listeners).</summary>
    protected virtual void Customize(JsonObject config) { }

    public virtual async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        if (StartsIssuer)
        {
            Issuer = new IssuerSimulator(IssuerOptions());
            await Issuer.StartAsync(CancellationToken.None);
            IssuerPort = Issuer.Port;
        }
        else
        {
            IssuerPort = FreePort();
        }
        WriteConfig();
        var seed = CliRunner.Run(["db", "seed", "demo", "--config", ConfigPath], timeoutMs: 180_000);
        Assert.True(seed.ExitCode == 0, $"db seed demo failed: {seed}");
        await StartAsync();
    }

    /// <summary>Writes the configuration file again (after changing what <see cref="Customize"/> reads).</summary>
    public void WriteConfig()
    {
        var config = JsonNode.Parse(Config(_database.ConnectionString, IssuerPort))!.AsObject();
        Customize(config);
        File.WriteAllText(ConfigPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// The configuration: the default file's shape on this test's ports, database, key store and spool. Postgres
    /// connects may take 15 s: on the shared, loaded test machine 3 s did time out (the switch's start and CLI verbs).
    /// </summary>
    public string Config(string connectionString, int issuerPort) => $$"""
        {
          "network": {
            "listeners": [ { "name": "terminals", "bind": "127.0.0.1", "port": {{TerminalPort}}, "spec": "iso8583-1987-binary",
                             "framing": { "length": "binary2", "header": "none" } } ],
            "connectors": [ { "name": "issuer-sim", "endpoints": ["127.0.0.1:{{issuerPort}}"], "spec": "iso8583-1987-binary",
                              "framing": { "length": "binary2", "header": "none" },
                              "networkManagement": { "signOnRequired": true, "responseTimeoutMs": 2000 },
                              "mux": { "timeoutMs": 2000 }, "reconnect": { "initialDelayMs": 100, "delayMsMax": 1000 } } ]
          },
          "security": { "keyStorePath": {{JsonSerializer.Serialize(Path.Combine(_dir, "keys"))}} },
          "journal": { "spool": { "directory": {{JsonSerializer.Serialize(Path.Combine(_dir, "spool"))}} } },
          "core": { "institutionId": "998877" },
          "admin": { "bind": "127.0.0.1", "port": {{AdminPort}} },
          "iso20022": { "listeners": [ { "name": "iso20022", "bind": "127.0.0.1", "port": {{Iso20022TcpPort}} } ],
                        "http": { "bind": "127.0.0.1", "port": {{Iso20022HttpPort}} } },
          "postgres": { "connectionString": {{JsonSerializer.Serialize(connectionString)}}, "connectTimeoutMs": 15000 }
        }
        """;

    /// <summary>Stops the switch with SIGTERM and starts it again on the same database, key store and spool.</summary>
    public async Task RestartAsync()
    {
        int exit = await StopAsync();
        Assert.True(exit == 0, $"switch run exited {exit}: {Output}");
        await StartAgainAsync();
    }

    /// <summary>Kills the switch with SIGKILL (no shutdown at all) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        using (var kill = Process.Start("kill", ["-KILL", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(wait.Token);
    }

    /// <summary>Starts the switch again after <see cref="KillAsync"/> or <see cref="StopAsync"/>, on the same database, keys and spool.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("the switch is still running");
        _process?.Dispose();
        _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output) _output.AppendLine("---- restart ----");
        await StartAsync();
    }

    private async Task StartAsync()
    {
        var info = CliRunner.StartInfo(["run", "--config", ConfigPath]);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.Contains("Switch running", StringComparison.Ordinal)) _running.TrySetResult();
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_output) _output.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_running.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        Assert.True(first == _running.Task, $"switch run did not start: {Output}");
        // The connector signs on to the issuer simulator shortly after the start.
        if (!StartsIssuer) return;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!AfterLastRestart.Contains("signed on", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(100);
    }

    private string AfterLastRestart
    {
        get
        {
            string all = Output;
            int cut = all.LastIndexOf("---- restart ----", StringComparison.Ordinal);
            return cut < 0 ? all : all[cut..];
        }
    }

    /// <summary>Stops the issuer simulator: its connections close and the connector cannot reconnect (the issuer is down).</summary>
    public Task StopIssuerAsync()
    {
        _issuerPort = Issuer.Port;
        return Issuer.StopAsync();
    }

    /// <summary>
    /// Starts a fresh issuer simulator on the same port after <see cref="StopIssuerAsync"/> (with <paramref name="rules"/>,
    /// else the options' rules); <see cref="Issuer"/> is then the new one, its log empty. The connector reconnects and signs on.
    /// </summary>
    public async Task StartIssuerAgainAsync(IssuerRules? rules = null)
    {
        int port = _issuerPort ?? Issuer.Port;
        await Issuer.DisposeAsync();
        var options = IssuerOptions();
        options.Port = port;
        if (rules is not null) options.Rules = rules;
        Issuer = new IssuerSimulator(options);
        await Issuer.StartAsync(CancellationToken.None);
    }

    /// <summary>A POS terminal connected to the switch.</summary>
    public async Task<PosTerminal> TerminalAsync(string terminalId = "TERM0001")
    {
        var pos = new PosTerminal(new PosTerminalOptions { Port = TerminalPort, TerminalId = terminalId, AnswerTimeoutMs = 15_000 });
        await pos.ConnectAsync(CancellationToken.None);
        return pos;
    }

    /// <summary>Stops the switch with SIGTERM and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (_process is null || _process.HasExited) return _process?.ExitCode ?? -1;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"switch run did not stop within 30 s of SIGTERM: {Output}");
        }
        return _process.ExitCode;
    }

    public virtual async Task DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process?.Dispose();
            if (Issuer is not null) await Issuer.DisposeAsync();
            await _database.DisposeAsync();
            try { System.IO.Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
