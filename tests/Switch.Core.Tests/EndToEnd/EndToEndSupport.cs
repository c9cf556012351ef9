using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Switch.Core.MasterData;
using Switch.Iso8583.Message;
using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// A `switch run` with short issuer timeouts and a fast store-and-forward retry, so the fault rows of FAULTS.md fit in
/// CI time: the issuer-sim connector's MUX times out after <see cref="IssuerTimeoutMs"/>, a first SAF retry after
/// <see cref="SafFirstRetryMs"/>.
/// </summary>
public class FastSwitchProcess : SwitchProcess
{
    /// <summary>The issuer-sim connector's response timeout (mux.timeoutMs).</summary>
    public virtual int IssuerTimeoutMs => 1_500;

    /// <summary>core.safFirstRetryMs (the repeats double up to twice this).</summary>
    public virtual int SafFirstRetryMs => 500;

    protected override void Customize(JsonObject config)
    {
        var connector = config["network"]!["connectors"]![0]!;
        connector["mux"]!["timeoutMs"] = IssuerTimeoutMs;
        var core = config["core"]!.AsObject();
        core["safFirstRetryMs"] = SafFirstRetryMs;
        core["safRetryMaxMs"] = SafFirstRetryMs * 2;
    }
}

/// <summary>What the end-to-end fault tests share: the admin metrics, the projected journal, waiting, the demo cards.</summary>
internal static class E2e
{
    public static readonly CancellationToken None = CancellationToken.None;

    /// <summary>Generous: the machine is shared by many builds and test runs.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static PosTransaction OnUs(char card, long amount) => new() { Card = CardProfile.Demo(card), AmountMinor = amount };

    /// <summary>The demo remote card (issuer-sim), with its PIN unless <paramref name="noPin"/>.</summary>
    public static PosTransaction Remote(long amount, bool noPin = false, string mti = "0200") =>
        new() { Card = CardProfile.Demo('R'), AmountMinor = amount, NoPin = noPin, Mti = mti };

    /// <summary>The value of a metric with these labels in the admin endpoint's /metrics (null when absent).</summary>
    public static async Task<double?> MetricAsync(SwitchProcess sw, string name, string labels = "")
    {
        string text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{sw.AdminPort}/metrics"));
        string prefix = labels.Length == 0 ? name + " " : $"{name}{{{labels}}} ";
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return double.Parse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        }
        return null;
    }

    public static Task<double?> SafDepthAsync(SwitchProcess sw) => MetricAsync(sw, "switch_saf_depth", "endpoint=\"issuer-sim\"");

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null, Func<Task<string>>? explain = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Patience);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}{(explain is null ? "" : "\n" + await explain())}");
            await Task.Delay(100);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? within = null) => WaitUntilAsync(() => Task.FromResult(condition()), what, within);

    /// <summary>The journal's positions (admin metrics) and `journal verify`'s report (for a failure's message).</summary>
    public static async Task<string> JournalStateAsync(SwitchProcess sw)
    {
        var parts = new List<string>();
        foreach (string m in new[] { "switch_journal_spool_position", "switch_journal_forwarded_position", "switch_journal_projected_position", "switch_journal_health" })
            parts.Add($"{m} {await MetricAsync(sw, m)}");
        var verify = CliRunner.Run(["journal", "verify", "--config", sw.ConfigPath], timeoutMs: 120_000);
        return string.Join("\n", parts) + "\n" + verify;
    }

    /// <summary>The projected legs of the store-and-forward and the terminals' answers, one line each (for a failure's message).</summary>
    public static async Task<string> SafLegsAsync(SwitchProcess sw)
    {
        var rows = await QueryAsync(sw, """
            select txn_id, leg, mti, stan, terminal_id, response_code, detail from journal_leg
            where leg like 'reversal%' or leg like 'advice%' or leg = 'response_out' order by event_node, event_seq
            """);
        return string.Join("\n", rows.Select(r => string.Join(' ', r)));
    }

    /// <summary>Rows of a query on the switch's database (the projection), each column as text (null for SQL NULL).</summary>
    public static async Task<List<string?[]>> QueryAsync(SwitchProcess sw, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(sw.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters) cmd.Parameters.AddWithValue(n, v);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string?[]>();
        while (await reader.ReadAsync())
        {
            var row = new string?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Waits until `switch journal verify` says spool, Kafka and Postgres agree (nothing missing or doubled, lag 0).</summary>
    public static async Task<CliRunner.Result> JournalVerifiedAsync(SwitchProcess sw)
    {
        CliRunner.Result last = null!;
        await WaitUntilAsync(() =>
        {
            last = CliRunner.Run(["journal", "verify", "--config", sw.ConfigPath], timeoutMs: 120_000);
            return Task.FromResult(last.ExitCode == 0);
        }, "journal verify exit 0", TimeSpan.FromSeconds(90));
        Assert.Contains("missing:  0", last.Stdout, StringComparison.Ordinal);
        return last;
    }

    /// <summary>Available balance of an on-us demo card from DE54 of a balance inquiry.</summary>
    public static async Task<long> BalanceAsync(SwitchProcess sw, char card, string terminal = "TERM0001")
    {
        await using var pos = await sw.TerminalAsync(terminal);
        var exchange = await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo(card), ProcessingCode = "31" }, None);
        Assert.True(exchange.ResponseCode == "00", $"balance inquiry: {exchange.Error ?? exchange.ResponseCode}");
        string de54 = exchange.Answer!.GetString(54)!;
        long amount = long.Parse(de54.AsSpan(8, 12), CultureInfo.InvariantCulture);
        return de54[7] == 'D' ? -amount : amount;
    }

    /// <summary>A raw terminal connection to the switch (reads every frame the switch sends on it).</summary>
    public static Task<Pipeline.TestTerminal> RawTerminalAsync(SwitchProcess sw) =>
        Pipeline.TestTerminal.ConnectAsync(new IPEndPoint(IPAddress.Loopback, sw.TerminalPort), Iso8583.Spec.SpecCatalog.BuiltIn("iso8583-1987-binary"));

    /// <summary>A request built as the terminal would (PIN block, MAC), not sent.</summary>
    public static async Task<IsoMessage> BuildAsync(SwitchProcess sw, PosTransaction tx, string terminal = "TERM0001", int? stanStart = null)
    {
        await using var pos = new PosTerminal(new PosTerminalOptions { Port = sw.TerminalPort, TerminalId = terminal, StanStart = stanStart });
        return await pos.BuildAsync(tx, None);
    }

    /// <summary>The issuer log's reversals (0420/0421) whose DE90 starts with <paramref name="originalPrefix"/>.</summary>
    public static IReadOnlyList<IssuerLogEntry> ReversalsOf(IssuerSimulator issuer, string originalPrefix) =>
        [.. issuer.Log.OfMti("0420", "0421").Where(e => e.OriginalData is not null && e.OriginalData.StartsWith(originalPrefix, StringComparison.Ordinal))];

    /// <summary>No demo PAN (on-us or remote) in what the switch printed (I4).</summary>
    public static void AssertNoClearPan(SwitchProcess sw)
    {
        string output = sw.Output;
        foreach (var card in DemoDataSet.Cards) Assert.DoesNotContain(card.Pan, output, StringComparison.Ordinal);
        Assert.DoesNotContain(DemoDataSet.All.RemoteCard.Pan, output, StringComparison.Ordinal);
    }
}
