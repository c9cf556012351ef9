using System.Globalization;
using Switch.Core.MasterData;
using Switch.Iso8583.Message;
using Switch.Simulators.Card;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// Issue 17 end to end: a POS terminal on loopback TCP against a real `switch run` on the seeded demo data set, with
/// the real journal, the software HSM and the issuer simulator — each DE39 with the balance inquiry after it.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SwitchEndToEndTests(SwitchProcess sw) : IClassFixture<SwitchProcess>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static PosTransaction Purchase(char card, long amount, PosFault fault = PosFault.None) =>
        new() { Card = CardProfile.Demo(card), AmountMinor = amount, Fault = fault };

    /// <summary>Available balance from DE54 of a balance inquiry (type 02, 12 digits after C or D).</summary>
    private async Task<long> BalanceAsync(char card)
    {
        await using var pos = await sw.TerminalAsync();
        var exchange = await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo(card), ProcessingCode = "31" }, None);
        Assert.Equal("00", exchange.ResponseCode);
        string de54 = exchange.Answer!.GetString(54)!;
        Assert.Equal("02", de54.Substring(2, 2));
        long amount = long.Parse(de54.AsSpan(8, 12), CultureInfo.InvariantCulture);
        return de54[7] == 'D' ? -amount : amount;
    }

    private async Task<PosExchange> SendAsync(PosTransaction tx, string terminal = "TERM0001")
    {
        await using var pos = await sw.TerminalAsync(terminal);
        return await pos.SendAsync(tx, None);
    }

    [Fact]
    public async Task Card_A_with_the_right_PIN_and_MAC_is_approved_signed_and_debited()
    {
        long before = await BalanceAsync('A');
        var exchange = await SendAsync(Purchase('A', 1_000));
        Assert.Equal("00", exchange.ResponseCode);
        Assert.True(exchange.AnswerMacValid, "the answer's MAC does not verify under the TAK");
        Assert.Matches("^[0-9A-Z]{6}$", exchange.Answer!.GetString(38)!);
        Assert.Equal(before - 1_000, await BalanceAsync('A'));
    }

    [Fact]
    public async Task A_wrong_PIN_is_55_and_moves_no_funds()
    {
        long before = await BalanceAsync('F');
        var exchange = await SendAsync(Purchase('F', 1_000, PosFault.WrongPin));
        Assert.Equal("55", exchange.ResponseCode);
        Assert.True(exchange.AnswerMacValid);
        // The right PIN next resets the count and is approved.
        Assert.Equal("00", (await SendAsync(Purchase('F', 100))).ResponseCode);
        Assert.Equal(before - 100, await BalanceAsync('F'));
    }

    [Fact]
    public async Task Card_B_beyond_its_funds_is_51()
    {
        long before = await BalanceAsync('B');
        Assert.Equal("51", (await SendAsync(Purchase('B', before + 1))).ResponseCode);
        Assert.Equal(before, await BalanceAsync('B'));
    }

    [Theory]
    [InlineData('C', "41")]
    [InlineData('D', "43")]
    [InlineData('E', "54")]
    public async Task Lost_stolen_and_expired_cards_are_declined(char card, string responseCode)
    {
        var exchange = await SendAsync(Purchase(card, 100));
        Assert.Equal(responseCode, exchange.ResponseCode);
        Assert.True(exchange.AnswerMacValid);
    }

    [Theory]
    [InlineData(PosFault.BadMac)]
    [InlineData(PosFault.NoMac)]
    public async Task A_bad_or_missing_MAC_is_63_without_a_MAC(PosFault fault)
    {
        long before = await BalanceAsync('A');
        var exchange = await SendAsync(Purchase('A', 100, fault));
        Assert.Equal("63", exchange.ResponseCode);
        Assert.False(exchange.Answer!.Has(64));
        Assert.Equal(before, await BalanceAsync('A'));
    }

    [Fact]
    public async Task BIN_999999_has_no_route_and_is_15()
    {
        var card = new CardProfile("9999990000000006", "3012", "101");
        var exchange = await SendAsync(new PosTransaction { Card = card, AmountMinor = 100, NoPin = true });
        Assert.Equal("15", exchange.ResponseCode);
    }

    [Fact]
    public async Task A_route_added_with_the_CLI_reaches_the_running_switch_within_a_second()
    {
        var card = new CardProfile("8888880000000005", "3012", "101");
        var tx = new PosTransaction { Card = card, AmountMinor = 100, NoPin = true };
        Assert.Equal("15", (await SendAsync(tx)).ResponseCode);
        var added = CliRunner.Run("routes", "add", "--name", "e2e-888888", "--bin", "888888", "--destination", "on-us", "--operator", "e2e", "--config", sw.ConfigPath);
        Assert.True(added.ExitCode == 0, added.ToString());
        var since = System.Diagnostics.Stopwatch.StartNew();
        string? code = null;
        while (since.Elapsed < TimeSpan.FromSeconds(5) && (code = (await SendAsync(tx)).ResponseCode) == "15") await Task.Delay(50);
        // Routed on-us now: the on-us authorizer knows no such card (14).
        Assert.Equal("14", code);
        Assert.True(since.Elapsed < TimeSpan.FromSeconds(3), $"the route took {since.ElapsedMilliseconds} ms to reach the switch");
    }

    [Fact]
    public async Task A_duplicate_gets_the_original_answer_and_debits_once()
    {
        long before = await BalanceAsync('A');
        await using var pos = await sw.TerminalAsync();
        var first = await pos.SendAsync(Purchase('A', 300), None);
        var again = await pos.RepeatLastAsync(None);
        Assert.Equal("00", first.ResponseCode);
        Assert.Equal(first.AnswerBytes, again.AnswerBytes);
        Assert.True(again.AnswerMacValid);
        Assert.Equal(before - 300, await BalanceAsync('A'));
    }

    [Fact]
    public async Task A_reversal_restores_the_balance_and_its_repeat_credits_once()
    {
        long before = await BalanceAsync('A');
        await using var pos = await sw.TerminalAsync();
        Assert.Equal("00", (await pos.SendAsync(Purchase('A', 700), None)).ResponseCode);
        Assert.Equal(before - 700, await BalanceAsync('A'));
        var reversal = await pos.ReverseLastAsync(null, None);
        Assert.Equal(("0410", "00"), (reversal.Answer!.Mti, reversal.ResponseCode));
        var repeat = await pos.RepeatLastAsync(None);
        Assert.Equal("00", repeat.ResponseCode);
        Assert.Equal(before, await BalanceAsync('A'));
    }

    [Fact]
    public async Task A_remote_card_is_approved_by_the_issuer_with_the_PIN_translated_to_its_ZPK()
    {
        var remote = DemoDataSet.All.RemoteCard;
        var card = new CardProfile(remote.Pan, remote.Expiry, remote.ServiceCode, Pin: remote.Pin);
        var exchange = await SendAsync(new PosTransaction { Card = card, AmountMinor = 1_000 });
        Assert.Equal("00", exchange.ResponseCode);
        Assert.True(exchange.AnswerMacValid);
        var leg = Assert.Single(sw.Issuer.Log.OfMti("0200"), e => e.Stan is not null && e.AmountMinor == 1_000);
        Assert.Equal("verified", leg.PinCheck);
        Assert.Equal("998877", leg.AcquirerId);
    }

    [Fact]
    public async Task After_a_restart_balances_and_duplicate_memory_are_rebuilt_from_the_journal()
    {
        long before = await BalanceAsync('A');
        PosExchange original;
        await using (var pos = await sw.TerminalAsync())
        {
            original = await pos.SendAsync(Purchase('A', 400), None);
        }
        Assert.Equal("00", original.ResponseCode);
        await sw.RestartAsync();
        Assert.Equal(before - 400, await BalanceAsync('A'));
        // The repeat after the restart: the original decision again, not a second debit.
        using var terminal = await Pipeline.TestTerminal.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, sw.TerminalPort),
            Switch.Iso8583.Spec.SpecCatalog.BuiltIn("iso8583-1987-binary"));
        await terminal.SendRawAsync(original.RequestBytes);
        IsoMessage again = await terminal.ReceiveAsync();
        Assert.Equal(("00", original.Answer!.GetString(38)), (again.GetString(39), again.GetString(38)));
        Assert.Equal(original.Answer.GetString(11), again.GetString(11));
        Assert.Equal(before - 400, await BalanceAsync('A'));
    }

    [Fact]
    public async Task The_log_never_shows_a_clear_PAN()
    {
        Assert.Equal("00", (await SendAsync(Purchase('A', 50))).ResponseCode);
        string output = sw.Output;
        foreach (var card in DemoDataSet.Cards) Assert.DoesNotContain(card.Pan, output, StringComparison.Ordinal);
        Assert.DoesNotContain(DemoDataSet.All.RemoteCard.Pan, output, StringComparison.Ordinal);
    }
}

/// <summary>`switch run` refuses to start without Postgres, in one line.</summary>
public sealed class SwitchStartTests
{
    [Fact]
    public void Run_without_Postgres_says_so_in_one_error_line()
    {
        string dir = Directory.CreateTempSubdirectory("switch-nopg-").FullName;
        try
        {
            string config = Path.Combine(dir, "switch.json");
            File.WriteAllText(config, $$"""
                {
                  "network": { "listeners": [ { "name": "terminals", "bind": "127.0.0.1", "port": {{SwitchProcess.FreePort()}} } ], "connectors": [] },
                  "security": { "keyStorePath": {{System.Text.Json.JsonSerializer.Serialize(Path.Combine(dir, "keys"))}} },
                  "journal": { "spool": { "directory": {{System.Text.Json.JsonSerializer.Serialize(Path.Combine(dir, "spool"))}} } },
                  "core": { },
                  "admin": { "enabled": false },
                  "postgres": { "connectionString": "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none", "connectTimeoutMs": 1000 }
                }
                """);
            CliRunner.AssertSuccess(CliRunner.Run("keys", "init", "--store", Path.Combine(dir, "keys")));
            var r = CliRunner.Run(["run", "--config", config], timeoutMs: 60_000);
            Assert.Equal(1, r.ExitCode);
            string line = CliRunner.AssertOneLineError(r);
            Assert.Contains("Postgres", line, StringComparison.Ordinal);
            Assert.Contains("unreachable", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
