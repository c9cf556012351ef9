using System.CommandLine;
using Switch.Core.MasterData;
using Switch.Network.Config;
using Switch.Simulators.Card;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch sim atm</c>: an ATM — cash withdrawal and balance inquiry with online PIN, and the 0420 advice of reversal
/// of a dispense failure (full, or partial with DE 95). Each exchange prints as a masked, decoded table.
/// </summary>
public static class AtmSimCommand
{
    /// <summary>Builds the <c>atm</c> sub-command.</summary>
    public static Command Create()
    {
        var card = new Option<string>("--card") { Description = "A demo card letter (A-F on-us, R the remote issuer's) or a card profile JSON file (required without --script)." };
        var script = new Option<string>("--script") { Description = "A JSON script of steps (withdraw, balance, reverse, each with an optional expected DE 39) instead of --card." };
        var amount = new Option<long?>("--amount") { Description = "Withdraw this amount (minor units, DE 4)." };
        var balance = new Option<bool>("--balance") { Description = "A balance inquiry (processing code 31) instead of a withdrawal; prints DE 54 decoded." };
        var balanceAfter = new Option<bool>("--balance-after") { Description = "After the withdrawal (and its reversal), a balance inquiry on the same card." };
        var dispenseFailure = new Option<bool>("--dispense-failure") { Description = "Nothing came out: reverse the withdrawal in full (0420 with DE 90)." };
        var dispensed = new Option<long?>("--dispensed") { Description = "Only this much came out (minor units): a partial reversal (0420 with DE 90 and DE 95)." };
        var target = new Option<string>("--target") { Description = "The switch, HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:8583" };
        var terminal = new Option<string>("--terminal") { Description = "Terminal id (DE 41): the demo ATM ATM00001 (MAC required), a demo POS terminal, or another with --merchant and keys.", DefaultValueFactory = _ => AtmTerminal.DemoTerminalId };
        var merchant = new Option<string>("--merchant") { Description = "Card acceptor id (DE 42; default the demo terminal's)." };
        var pin = new Option<string>("--pin") { Description = "The PIN entered (default the card's PIN)." };
        var pinKey = new Option<string>("--pin-key") { Description = "PIN key: a demo key name or clear hex (default the demo terminal's TPK)." };
        var macKey = new Option<string>("--mac-key") { Description = "MAC key: a demo key name or clear hex (default the demo terminal's TAK)." };
        var acquirer = new Option<string>("--acquirer") { Description = "DE 32 (none by default)." };
        var stan = new Option<int?>("--stan") { Description = "First STAN (default random)." };
        var json = new Option<bool>("--json") { Description = "One JSON line per exchange (masked, DE 54 decoded as balances) instead of tables." };
        var timeout = new Option<int>("--timeout-ms") { Description = "Wait for each answer.", DefaultValueFactory = _ => 5000 };
        var spec = new Option<string>("--spec") { Description = "Message spec (built-in name or file).", DefaultValueFactory = _ => SimWire.DefaultSpec };
        var framing = new Option<string>("--framing") { Description = "Length framing: binary2, binary2-inclusive, bcd2, ascii4, none.", DefaultValueFactory = _ => "binary2" };
        var header = new Option<string>("--header") { Description = "Frame header: none or tpdu.", DefaultValueFactory = _ => "none" };
        var tpdu = new Option<string>("--tpdu") { Description = "TPDU sent with --header tpdu (10 hex digits).", DefaultValueFactory = _ => "6000010000" };
        var cmd = new Command("atm", "Run an ATM against the switch: a cash withdrawal or a balance inquiry with online PIN, the 0420 reversal of a dispense "
            + "failure (full, or partial with DE 95), each exchange printed as a masked, decoded table (exit 0 when every request was answered, 1 otherwise).")
        {
            card, script, amount, balance, balanceAfter, dispenseFailure, dispensed, target, terminal, merchant, pin, pinKey, macKey, acquirer, stan, json,
            timeout, spec, framing, header, tpdu,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (!EndpointParser.TryParse(r.GetValue(target), out string host, out int port)) throw new CliException("--target: must be HOST:PORT with a port 1-65535");
            SimRun.Framing(r.GetValue(framing)!, r.GetValue(header)!);
            var plan = AtmPlan.From(r.GetValue(card), r.GetValue(script), r.GetValue(amount), r.GetValue(balance), r.GetValue(balanceAfter),
                r.GetValue(dispenseFailure), r.GetValue(dispensed), r.GetValue(pin));
            var options = new PosTerminalOptions
            {
                Host = host, Port = port, Spec = r.GetValue(spec)!, Framing = r.GetValue(framing)!, Header = r.GetValue(header)!, TpduHex = r.GetValue(tpdu)!,
                TerminalId = r.GetValue(terminal)!, MerchantId = r.GetValue(merchant), PinKey = r.GetValue(pinKey), MacKey = r.GetValue(macKey),
                AcquirerId = r.GetValue(acquirer), AnswerTimeoutMs = r.GetValue(timeout), StanStart = r.GetValue(stan),
            };
            // Built before anything is sent: a bad option is an error line with nothing on stdout.
            await using var atm = new AtmTerminal(options);
            bool asJson = r.GetValue(json);
            string? error = await plan.RunAsync(atm, x => Console.Out.Write(asJson ? ExchangePrinter.Json(x, decodeBalances: true) + "\n" : ExchangePrinter.Table(x, decodeBalances: true)), ct)
                .ConfigureAwait(false);
            Console.Out.Flush();
            return error is null ? 0 : CliErrors.Fail(error);
        });
        return cmd;
    }

    /// <summary>What the options ask for, checked whole before the terminal is built.</summary>
    private sealed record AtmPlan(AtmScript Script)
    {
        public static AtmPlan From(string? card, string? script, long? amount, bool balance, bool balanceAfter, bool dispenseFailure, long? dispensed, string? pin)
        {
            bool reverse = dispenseFailure || dispensed is not null;
            if (script is not null)
            {
                if (card is not null || amount is not null || balance || balanceAfter || reverse || pin is not null)
                    throw new CliException("--script excludes --card, --amount, --balance, --balance-after, --dispense-failure, --dispensed and --pin");
                return new AtmPlan(Load(script));
            }
            if (card is null) throw new CliException("--card (or --script) is required");
            if (pin is not null && (pin.Length is < 4 or > 12 || !pin.All(char.IsAsciiDigit))) throw new CliException("--pin: must be 4 to 12 digits");
            if (balance && (amount is not null || balanceAfter || reverse)) throw new CliException("--balance excludes --amount, --balance-after, --dispense-failure and --dispensed");
            if (!balance && amount is null) throw new CliException("give --amount MINOR (a withdrawal) or --balance");
            if (amount is < 1 or > 999_999_999_999) throw new CliException("--amount: must be 1 to 999999999999 minor units");
            if (dispenseFailure && dispensed is not null) throw new CliException("--dispense-failure and --dispensed exclude each other");
            if (dispensed is long d && (d < 0 || d >= amount)) throw new CliException($"--dispensed: must be 0 to {amount - 1} (below --amount)");
            CardResolve(card);
            var steps = new List<AtmScriptStep>();
            if (balance) steps.Add(new AtmScriptStep { Action = "balance", Card = card, Pin = pin });
            else steps.Add(new AtmScriptStep { Action = "withdraw", Card = card, AmountMinor = amount!.Value, Pin = pin });
            if (reverse) steps.Add(new AtmScriptStep { Action = "reverse", DispensedMinor = dispensed });
            if (balanceAfter) steps.Add(new AtmScriptStep { Action = "balance", Card = card, Pin = pin });
            return new AtmPlan(new AtmScript { Steps = steps });
        }

        public Task<string?> RunAsync(AtmTerminal atm, Action<PosExchange> print, CancellationToken ct) => Script.RunAsync(atm, print, ct);

        private static AtmScript Load(string file)
        {
            try
            {
                return AtmScript.Load(file);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }
        }

        private static void CardResolve(string card)
        {
            try
            {
                CardProfile.Resolve(card);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException)
            {
                throw new CliException($"--card: {ex.Message}");
            }
        }
    }
}

/// <summary>
/// <c>switch sim acquirer</c>: an acquirer host connected to the switch as a peer network (the <c>acquirers</c>
/// listener): the same pos-like traffic as <c>sim pos</c>, with its own institution id in DE 32, its own terminals in
/// DE 41/42 (not in the switch's master data) and PIN blocks under its zone PIN key (docs/core.md, "Acquirer peers").
/// </summary>
public static class AcquirerSimCommand
{
    /// <summary>Builds the <c>acquirer</c> sub-command.</summary>
    public static Command Create()
    {
        var demo = DemoDataSet.All.Acquirer;
        var shape = new PosVerbShape("acquirer",
            "Run an acquirer host against the switch's acquirer listener: pos-like transactions with the acquirer's own DE 32, terminals and zone PIN key, "
            + "each exchange printed as a masked, decoded table (exit 0 when every request was answered, 1 otherwise).",
            "127.0.0.1:8584", demo.TerminalId, $"Terminal id (DE 41) of one of the acquirer's own terminals (default {demo.TerminalId}; the switch does not know them).",
            demo.MerchantId, demo.ZpkRef, "--institution", $"The acquirer's institution id, DE 32 (default the demo acquirer's {demo.InstitutionId}).", demo.InstitutionId);
        return PosSimCommand.Create(shape);
    }
}
