using System.Globalization;
using Switch.Core.MasterData;
using Switch.Iso8583.Vocabulary;
using Switch.Simulators.Card;

namespace Switch.Cli.Demo;

/// <summary>DE39 of every answer a demo terminal received (the summary's transaction counts).</summary>
internal sealed class DemoTally
{
    private readonly SortedDictionary<string, long> _codes = new(StringComparer.Ordinal);

    /// <summary>Answers by DE39.</summary>
    public IReadOnlyDictionary<string, long> Codes => _codes;

    /// <summary>Exchanges counted.</summary>
    public long Count => _codes.Values.Sum();

    /// <summary>Counts one answer ("none" when nothing came back).</summary>
    public void Add(string? code) => Add(code ?? "none", 1);

    /// <summary>Counts <paramref name="n"/> answers with <paramref name="code"/>.</summary>
    public void Add(string code, long n) => _codes[code] = _codes.GetValueOrDefault(code) + n;
}

/// <summary>
/// The narrated scenario of `switch demo`: each step says what it shows, prints the exchange decoded and masked
/// (<see cref="ExchangePrinter"/>), and says why the switch answered as it did; where the issuer simulator's side
/// matters (PIN and ARQC checks, the reversal after a timeout, the stand-in advice) its log says what it received.
/// A step answered otherwise than the scenario expects stops the demo with one error line.
/// </summary>
internal sealed class DemoScenario(DemoEnvironment environment, TextWriter output, DemoTally tally)
{
    /// <summary>Steps in the scenario.</summary>
    public const int Steps = 8;

    /// <summary>How long a store-and-forward delivery may take to reach the issuer (first try, or a repeat after 1 s).</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the connector may take to notice the issuer simulator is gone.</summary>
    private static readonly TimeSpan DownTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Runs the steps in order.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        await using var shop = NewTerminal("TERM0001");
        await using var pos = NewTerminal("TERM0002");
        await WithdrawalAsync(ct).ConfigureAwait(false);
        await ChipPurchaseAsync(pos, ct).ConfigureAwait(false);
        await InsufficientFundsAsync(shop, ct).ConfigureAwait(false);
        await WrongPinAsync(shop, ct).ConfigureAwait(false);
        await ReversalAsync(shop, ct).ConfigureAwait(false);
        await IssuerTimeoutAsync(pos, ct).ConfigureAwait(false);
        await StandInAsync(pos, ct).ConfigureAwait(false);
        await Iso20022TransferAsync(ct).ConfigureAwait(false);
    }

    private PosTerminal NewTerminal(string terminalId) =>
        new(new PosTerminalOptions { Port = environment.Ports.Terminals, TerminalId = terminalId, AnswerTimeoutMs = 15_000 });

    private async Task WithdrawalAsync(CancellationToken ct)
    {
        Step(1, $"ATM cash withdrawal with PIN: card A, 100.00 at {AtmTerminal.DemoTerminalId}",
            "An on-us card (BIN 476173). The switch checks the ATM's MAC, verifies the PIN block (ISO 9564 format 0 under the",
            "ATM's TPK) by Visa PVV under demo-pvk, debits the account and answers with its own MAC.");
        await using var atm = new AtmTerminal(new PosTerminalOptions { Port = environment.Ports.Terminals, TerminalId = AtmTerminal.DemoTerminalId, AnswerTimeoutMs = 15_000 });
        var x = await atm.WithdrawAsync(CardProfile.Demo('A'), 10_000, null, ct).ConfigureAwait(false);
        Record(x, "00");
        Show(x);
        Why(x, "approved: right PIN, 100.00 within the card's 500.00 per-transaction and 800.00 daily limits; DE 38 is the approval code.");
        var balance = await atm.BalanceAsync(CardProfile.Demo('A'), null, ct).ConfigureAwait(false);
        Record(balance, "00");
        Why(balance, $"a balance inquiry right after: DE 54 {balance.Answer?.GetString(54)} (available balance {Available(balance)}): 1,000.00 less the withdrawal.");
    }

    private async Task ChipPurchaseAsync(PosTerminal pos, CancellationToken ct)
    {
        Step(2, "POS purchase with EMV chip data: the remote card, 25.00 at TERM0002",
            "BIN 541333 routes to the issuer-sim connector. The terminal puts the chip data in DE 55 with a real ARQC (9F26) under",
            "the card's IMK-AC; the switch translates the PIN block from the terminal's TPK to the issuer's ZPK and forwards DE 55.");
        var card = CardProfile.Demo('R') with { ImkAc = DemoEnvironment.EmvImkAc };
        var x = await SendAsync(pos, new PosTransaction { Card = card, AmountMinor = 2_500 }, "00", ct).ConfigureAwait(false);
        var seen = await IssuerSawAsync(e => e.Mti == "0200" && e.AmountMinor == 2_500, ct).ConfigureAwait(false);
        Why(x, $"approved by the issuer, which checked the ARQC ({seen?.ArqcCheck ?? "not seen"}) and the translated PIN ({seen?.PinCheck ?? "not seen"}).");
        ShowIssuer(seen);
    }

    private async Task InsufficientFundsAsync(PosTerminal shop, CancellationToken ct)
    {
        Step(3, "A decline for insufficient funds: card B, 50.00 at TERM0001",
            "Card B's account holds 10.00.");
        var x = await SendAsync(shop, new PosTransaction { Card = CardProfile.Demo('B'), AmountMinor = 5_000 }, "51", ct).ConfigureAwait(false);
        Why(x, "declined 51 by the on-us authorizer: 50.00 is more than the 10.00 available; nothing is debited.");
    }

    private async Task WrongPinAsync(PosTerminal shop, CancellationToken ct)
    {
        Step(4, "A wrong PIN: card A, 10.00 at TERM0001 with the PIN one digit off",
            "The PVV computed from the PIN entered does not match the card's.");
        var x = await SendAsync(shop, new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 1_000, Fault = PosFault.WrongPin }, "55", ct).ConfigureAwait(false);
        Why(x, "declined 55; a right PIN next resets the count, a third wrong one in a row would answer 75 and lock the PIN.");
    }

    private async Task ReversalAsync(PosTerminal shop, CancellationToken ct)
    {
        Step(5, "A reversal: card A buys 20.00 at TERM0001, then the terminal reverses it (0400)",
            "The 0400 carries DE 90, the original's MTI, STAN and DE 7: the switch finds the approval by it and credits it back.");
        await SendAsync(shop, new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = 2_000 }, "00", ct, show: false).ConfigureAwait(false);
        output.WriteLine("  the purchase was approved (00); now its reversal:");
        var x = await shop.ReverseLastAsync(null, ct).ConfigureAwait(false);
        Record(x, "00");
        Show(x);
        Why(x, "reversed: the 20.00 is back on the account; a repeat of this 0400 would be answered 00 again and credit once.");
    }

    private async Task IssuerTimeoutAsync(PosTerminal pos, CancellationToken ct)
    {
        Step(6, "An issuer timeout and its automatic reversal: the remote card, 15.00 at TERM0002",
            "The issuer simulator is told to drop its next request. The connector waits its 2 s, the terminal gets 91, and the",
            "switch puts an 0420 reversal of the issuer leg into store-and-forward, delivered until the issuer acknowledges it.");
        var rules = DemoEnvironment.NormalRules();
        rules.Misbehaviours = [new MisbehaviourRule { Action = "drop", Next = 1 }];
        await environment.Issuer.UseRulesAsync(rules, ct).ConfigureAwait(false);
        var x = await SendAsync(pos, new PosTransaction { Card = CardProfile.Demo('R'), AmountMinor = 1_500 }, "91", ct).ConfigureAwait(false);
        Why(x, $"answered 91 after {x.ElapsedMs / 1000:0.0} s: the issuer did not answer within the connector's timeout.");
        var dropped = await IssuerSawAsync(e => e.Mti == "0200" && e.AmountMinor == 1_500 && e.Behaviour == "drop", ct).ConfigureAwait(false);
        string? original = dropped is null ? null : $"0200{dropped.Stan}";
        var reversal = await IssuerSawAsync(e => e.Mti is "0420" or "0421" && original is not null && e.OriginalData?.StartsWith(original, StringComparison.Ordinal) == true, ct)
            .ConfigureAwait(false);
        output.WriteLine("  the issuer simulator's log:");
        ShowIssuer(dropped);
        ShowIssuer(reversal);
        Require(reversal is not null, "step 6: no 0420 reversal of the timed-out leg reached the issuer simulator");
        output.WriteLine($"  why: the {reversal!.Mti} names the dropped leg in DE 90 (MTI 0200, the switch's STAN {dropped!.Stan}); the issuer answered {reversal.Answer}, so it leaves the queue.");
        await environment.Issuer.UseRulesAsync(DemoEnvironment.NormalRules(), ct).ConfigureAwait(false);
    }

    private async Task StandInAsync(PosTerminal pos, CancellationToken ct)
    {
        Step(7, "A stand-in approval and its advice: the issuer goes away, the remote card buys 30.00 at TERM0002 without PIN",
            "Route demo-issuer falls back to stand-in, limit 50.00: with the connector down the switch decides itself (no PIN, at",
            "most 50.00), and owes the issuer an advice, which store-and-forward delivers once the issuer is back.");
        await environment.StopIssuerAsync().ConfigureAwait(false);
        bool down = await WaitAsync(() => !environment.IssuerConnector.IsUsable, DownTimeout, ct).ConfigureAwait(false);
        Require(down, "step 7: the issuer connector still reports usable after the issuer simulator stopped");
        output.WriteLine($"  the issuer simulator is stopped; the connector reports {environment.IssuerConnector.Health}.");
        var x = await SendAsync(pos, new PosTransaction { Card = CardProfile.Demo('R'), AmountMinor = 3_000, NoPin = true }, "00", ct).ConfigureAwait(false);
        Why(x, $"approved in stand-in by the switch (approval code {x.Answer?.GetString(38)}): no PIN, 30.00 under the 50.00 stand-in limit.");
        await environment.RestartIssuerAsync(ct).ConfigureAwait(false);
        bool up = await environment.IssuerConnector.WaitUsableAsync(DemoEnvironment.SignOnTimeout, ct).ConfigureAwait(false);
        Require(up, "step 7: the issuer connector did not sign on again to the restarted issuer simulator");
        output.WriteLine("  the issuer simulator is back; the connector reconnected and signed on.");
        var advice = await IssuerSawAsync(e => e.Mti is "0220" or "0221" or "0120" or "0121" && e.AmountMinor == 3_000, ct).ConfigureAwait(false);
        output.WriteLine("  the issuer simulator's log:");
        ShowIssuer(advice);
        Require(advice is not null, "step 7: the stand-in advice did not reach the issuer simulator");
        output.WriteLine($"  why: the {advice!.Mti} tells the issuer what the switch approved on its behalf; it answered {advice.Answer}.");
    }

    private async Task Iso20022TransferAsync(CancellationToken ct)
    {
        Step(8, "An ISO 20022 credit transfer: a pacs.008 of 12.50 USD over HTTP to the switch",
            $"Route {DemoEnvironment.Iso20022RouteName} sends the creditor agent's member id {DemoEnvironment.Iso20022MemberId} to the issuer-sim connector:",
            "the switch translates the pacs.008 to an 0200 (processing code 40), and the 0210 back to a pacs.002 status report.");
        var transfer = await DemoIso20022.SendAsync(environment.Ports.Iso20022Http, 1_250, ct).ConfigureAwait(false);
        output.WriteLine($"  -> POST http://127.0.0.1:{environment.Ports.Iso20022Http}/iso20022: pacs.008.001.08, message id {transfer.MessageId}, 12.50 USD, creditor agent {DemoEnvironment.Iso20022MemberId}");
        output.WriteLine($"  <- HTTP {transfer.Status}: {transfer.Document ?? "no document"}, status {transfer.TransactionStatus ?? "none"} in {transfer.ElapsedMs:F1} ms");
        Require(transfer.Status == 200 && transfer.TransactionStatus is not null, $"step 8: the pacs.008 was answered HTTP {transfer.Status} without a transaction status");
        var seen = await IssuerSawAsync(e => e.Mti == "0200" && e.AmountMinor == 1_250 && e.ProcessingCode?.StartsWith("40", StringComparison.Ordinal) == true, ct).ConfigureAwait(false);
        output.WriteLine("  the issuer simulator's log:");
        ShowIssuer(seen);
        output.WriteLine($"  why: the issuer approved the 0200 ({seen?.Answer ?? "not seen"}), which the switch reports as {transfer.TransactionStatus} (accepted, settlement completed).");
    }

    // ---- narration ----

    private void Step(int n, string title, params string[] about)
    {
        output.WriteLine();
        output.WriteLine($"step {n}/{Steps}: {title}");
        foreach (string line in about) output.WriteLine($"  {line}");
        output.Flush();
    }

    private void Show(PosExchange x)
    {
        foreach (string line in ExchangePrinter.Table(x).Split('\n', StringSplitOptions.RemoveEmptyEntries)) output.WriteLine("  " + line.TrimEnd('\r'));
    }

    private void Why(PosExchange x, string why)
    {
        output.WriteLine($"  why: {why}");
        output.Flush();
    }

    private void ShowIssuer(IssuerLogEntry? e)
    {
        if (e is null)
        {
            output.WriteLine("    (no such message in the issuer simulator's log)");
            return;
        }
        var parts = new List<string> { $"#{e.Sequence} {e.Mti}" };
        if (e.MaskedPan is not null) parts.Add($"card {e.MaskedPan}");
        if (e.ProcessingCode is not null) parts.Add($"processing code {e.ProcessingCode}");
        if (e.AmountMinor is long amount) parts.Add($"amount {Money(amount)}");
        if (e.Stan is not null) parts.Add($"STAN {e.Stan}");
        if (e.AcquirerId is not null) parts.Add($"DE 32 {e.AcquirerId}");
        if (e.OriginalData is not null) parts.Add($"DE 90 {e.OriginalData}");
        if (e.PinCheck is not null) parts.Add($"PIN {e.PinCheck}");
        if (e.ArqcCheck is not null) parts.Add($"ARQC {e.ArqcCheck}");
        if (e.Behaviour != "none") parts.Add($"behaviour {e.Behaviour}");
        parts.Add(e.Answer is null ? "not answered" : $"answered {e.Answer} ({ResponseCode.Describe(e.Answer)})");
        output.WriteLine("    " + string.Join(", ", parts));
    }

    // ---- exchanges ----

    private async Task<PosExchange> SendAsync(PosTerminal terminal, PosTransaction tx, string expected, CancellationToken ct, bool show = true)
    {
        var x = await terminal.SendAsync(tx, ct).ConfigureAwait(false);
        Record(x, expected);
        if (show) Show(x);
        return x;
    }

    /// <summary>Counts the answer and stops the demo when it is not what the step shows.</summary>
    private void Record(PosExchange x, string expected)
    {
        tally.Add(x.Answered ? x.ResponseCode : null);
        if (!x.Answered) throw new CliException($"{x.Kind}: no usable answer from the switch ({x.Error}); see {environment.LogPath}");
        if (x.ResponseCode != expected)
            throw new CliException($"{x.Kind}: the switch answered DE39 {x.ResponseCode} ({ResponseCode.Describe(x.ResponseCode)}), the demo expected {expected}; see {environment.LogPath}");
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition) throw new CliException(problem);
    }

    private async Task<IssuerLogEntry?> IssuerSawAsync(Func<IssuerLogEntry, bool> match, CancellationToken ct)
    {
        var found = await environment.Issuer.Log.WaitForAsync(match, 1, DeliveryTimeout, ct).ConfigureAwait(false);
        return found.Count > 0 ? found[^1] : null;
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) return false;
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        return true;
    }

    private static string Money(long minor) => (minor / 100m).ToString("#,0.00", CultureInfo.InvariantCulture);

    /// <summary>The available balance (amount type 02) of an answer's DE 54, as money.</summary>
    private static string Available(PosExchange x)
    {
        try
        {
            var available = AtmTerminal.Balances(x).FirstOrDefault(a => a.AmountType == "02");
            return available is null ? "not given" : (available.SignedMinor < 0 ? "-" : "") + Money(Math.Abs(available.SignedMinor));
        }
        catch (FormatException)
        {
            return "unreadable";
        }
    }
}
