using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Switch.Cli.Hosting;
using Switch.Common.Configuration;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;
using Switch.Security;
using Switch.Security.Configuration;
using Switch.Security.Keys;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch db seed demo [--reset] [--cards N] [--config F]</c>: writes THE DEMO DATA SET (TEST DATA, docs/demo.md)
/// into the key store and Postgres; <c>--reset</c> also journals the state resets that put balances, holds, daily
/// totals, PIN tries and the demo terminals' duplicate memory back to the table (with the switch stopped).
/// </summary>
internal static class DbSeedCommand
{
    /// <summary>How long one seed may take in all (a million generated cards take minutes on a small machine).</summary>
    private static readonly TimeSpan VerbTimeout = TimeSpan.FromMinutes(30);

    /// <summary>How long the probe for a running switch waits on its admin port.</summary>
    private const int ProbeTimeoutMs = 500;

    /// <summary>The admin port of a running switch when the configuration names none (issue 17's default).</summary>
    private const int AdminPortDefault = 9102;

    /// <summary>Builds <c>db seed</c>.</summary>
    public static Command Create()
    {
        // Any number of tokens is accepted and checked below, so an unknown data set gets this verb's own one-line error.
        var dataSet = new Argument<string[]>("DATASET") { Description = "The data set to write: demo (the only one).", Arity = ArgumentArity.ZeroOrMore };
        var reset = new Option<bool>("--reset") { Description = "Also reset card statuses, balances, daily totals, holds, PIN tries and the demo terminals' duplicate memory by journaled adjustments (switch stopped)." };
        var cards = new Option<string>("--cards") { Description = $"Also write N generated load-test cards (0 to {GeneratedCards.CountMax}; PANs from GeneratedCards.Pan(index), PIN {GeneratedCards.Pin})." };
        var config = JournalSettings.ConfigOption();
        var cmd = new Command("seed", "Write the demo data set (TEST DATA: docs/demo.md) into the key store and Postgres; idempotent.") { dataSet, reset, cards, config };
        cmd.SetAction(r =>
        {
            string[] names = r.GetValue(dataSet) ?? [];
            if (names.Length != 1 || names[0] != "demo")
                throw new CliException(names.Length == 1 ? $"db seed: unknown data set '{names[0]}'; the only one is 'demo'" : $"db seed: give exactly one data set, demo (got {names.Length})");
            int generated = ParseCards(r.GetValue(cards));
            return Run(r.GetValue(config), r.GetValue(reset), generated);
        });
        return cmd;
    }

    private static int ParseCards(string? text)
    {
        if (text is null) return 0;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > GeneratedCards.CountMax)
            throw new CliException($"--cards: '{text}' is not a count of cards; expected 0 to {GeneratedCards.CountMax}");
        return n;
    }

    private static int Run(string? configPath, bool reset, int generated)
    {
        using var timeout = new CancellationTokenSource(VerbTimeout);
        try
        {
            foreach (string line in SeedAsync(configPath, reset, generated, timeout.Token).GetAwaiter().GetResult()) Console.Out.WriteLine(line);
            return 0;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new CliException($"db seed demo: gave up after {VerbTimeout.TotalMinutes:0} minutes");
        }
    }

    /// <summary>
    /// `db seed demo [--reset] [--cards N]` as a library call (`switch demo` resets through it): writes the data set and
    /// returns the lines the verb prints; bad input, an unreachable database or a running switch is a <see cref="CliException"/>.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> SeedAsync(string? configPath, bool reset, int generated, CancellationToken ct)
    {
        var journal = JournalSettings.Load(configPath);
        var (security, routing, admin) = LoadSections(journal.ConfigPath);
        if (reset) RefuseWhenSwitchRuns(admin);
        try
        {
            return await RunAsync(journal, security, routing, reset, generated, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MasterDataException or DemoSeedException or PanKeyException or SecurityInputException or KeyNotFoundException)
        {
            throw new CliException(ex.Message);
        }
    }

    private static async Task<IReadOnlyList<string>> RunAsync(JournalSettings journal, SecurityOptions security, RoutingSettings routing, bool reset, int generated, CancellationToken ct)
    {
        await using var dataSource = journal.OpenPostgres();
        string where = journal.Postgres.Describe();
        // Postgres first: when it is unreachable nothing else is touched.
        await new MasterDataStore(dataSource, where).MigrateAsync(ct).ConfigureAwait(false);
        DemoSeeder.RequireDestinations(routing.Destinations);
        var store = SecurityModuleFactory.OpenKeyStore(security);
        bool lmkCreated = EnsureLmk(security);
        using Lmk lmk = Lmk.LoadFile(security.LmkFile);
        DemoKeysResult keys = DemoSeeder.ImportKeys(store, lmk, journal.Journal.Pan);
        var seeder = new DemoSeeder(dataSource, where, routing.Routing);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (write, routes) = await seeder.WriteAsync(store, lmk, journal.Journal.Pan, routing.Destinations, generated, ct).ConfigureAwait(false);
        double seconds = started.Elapsed.TotalSeconds;
        int resets = reset ? await ResetAsync(journal, ct).ConfigureAwait(false) : 0;
        return Lines(store, lmkCreated, keys, write, generated, seconds, routes, reset, resets, journal.SpoolDirectory);
    }

    /// <summary>Appends the StateReset events to the configured journal and closes it cleanly (positions written, spool closed).</summary>
    private static async Task<int> ResetAsync(JournalSettings settings, CancellationToken ct)
    {
        using var journal = Switch.Journal.Journal.Open(settings.Journal, Serilog.Core.Logger.None);
        return await DemoSeeder.AppendResetAsync(journal, DateTime.UtcNow, ct).ConfigureAwait(false);
    }

    /// <summary>The demo needs an LMK: one is created in the key store when the configuration names no LMK file of its own.</summary>
    private static bool EnsureLmk(SecurityOptions security)
    {
        if (File.Exists(security.LmkFile)) return false;
        if (security.LmkPath is not null) throw new CliException($"security.lmkPath: no LMK file at {security.LmkFile} (run `switch keys init`)");
        Lmk.Create(security.KeyStorePath).Dispose();
        return true;
    }

    private static IReadOnlyList<string> Lines(FileKeyStore store, bool lmkCreated, DemoKeysResult keys, MasterDataWrite write, int generated, double seconds,
        IReadOnlyList<DemoRouteResult> routes, bool reset, int resets, string spool)
    {
        string created = keys.PanKeysCreated.Count == 0 ? "PAN keys present" : $"PAN keys created: {string.Join(", ", keys.PanKeysCreated)}";
        return
        [
            $"keys: {store.Directory}{(lmkCreated ? " (new LMK)" : "")}: imported {keys.Imported.Count}{List(keys.Imported)}, kept {keys.Kept.Count}{List(keys.Kept)}; {created}",
            $"terminals: {write.Terminals} upserted ({string.Join(", ", DemoDataSet.Terminals.Select(t => t.TerminalId))})",
            $"profiles: on-us BIN {DemoDataSet.OnUsProfile.Bin}, issuer {DemoDataSet.RemoteIssuer.Destination} upserted",
            string.Create(CultureInfo.InvariantCulture,
                $"cards: {write.Cards} upserted (demo A-F{(generated > 0 ? $" and {generated} generated" : "")}) in {seconds:0.0} s; master data version {write.Version}"),
            $"accounts: {write.Accounts} upserted",
            $"routes: {string.Join(", ", routes.Select(r => $"{r.Name} {r.Action}"))}",
            reset
                ? $"resets: {resets} StateReset events journaled in {spool} ({DemoDataSet.Cards.Count} accounts, {DemoDataSet.Terminals.Count} terminals)"
                : "resets: none (give --reset, with the switch stopped, to put balances, holds, daily totals and PIN tries back)",
        ];
    }

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "" : $" ({string.Join(", ", names)})";

    private static (SecurityOptions Security, RoutingSettings Routing, (string Host, int Port) Admin) LoadSections(string path)
    {
        var host = HostConfiguration.Load(path, Environment.GetEnvironmentVariables());
        try
        {
            var security = SecurityOptions.From(host.Section("security"));
            return (security, RoutingConfigFile.Load(path), AdminEndpoint(host.Section("admin")));
        }
        catch (ConfigException ex)
        {
            throw host.Attribute(ex);
        }
    }

    /// <summary>Only the admin endpoint is read here (the admin area validates its own section when the switch runs).</summary>
    private static (string Host, int Port) AdminEndpoint(ConfigSection admin)
    {
        string host = "127.0.0.1";
        int port = AdminPortDefault;
        if (admin.Json.ValueKind == JsonValueKind.Object)
        {
            if (admin.Json.TryGetProperty("bind", out var b) && b.ValueKind == JsonValueKind.String) host = b.GetString()!;
            if (admin.Json.TryGetProperty("port", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out int n) && n is > 0 and < 65536) port = n;
        }
        return (host is "0.0.0.0" or "" ? "127.0.0.1" : host, port);
    }

    /// <summary>
    /// --reset needs the switch stopped: a running one would keep its in-memory balances and then replay over the reset.
    /// The journal has no owner lock to ask, so the admin port that every running switch serves is probed instead.
    /// </summary>
    private static void RefuseWhenSwitchRuns((string Host, int Port) admin)
    {
        using var client = new TcpClient();
        try
        {
            if (!client.ConnectAsync(admin.Host, admin.Port).Wait(ProbeTimeoutMs)) return;
        }
        catch (AggregateException)
        {
            return; // refused or unreachable: nothing serves the admin port
        }
        throw new CliException($"db seed demo --reset: something answers on the admin port {admin.Host}:{admin.Port} (a running switch?); stop the switch first");
    }
}
