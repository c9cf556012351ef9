using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Config;
using Switch.Simulators.Card;

namespace Switch.Cli.Commands;

/// <summary>Shared pieces of the long-running simulator verbs: the listening line and the wait for Ctrl+C or SIGTERM.</summary>
internal static class SimRun
{
    /// <summary>Prints {"listening": …} and waits until Ctrl+C, SIGTERM or the invocation is cancelled.</summary>
    public static async Task WaitForStopAsync(string what, int port, CancellationToken ct)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["listening"] = $"127.0.0.1:{port}", ["simulator"] = what }));
        Console.Out.Flush();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: shut down cleanly.
        }
    }

    /// <summary>Checks a port option (0 allowed where a free port is useful).</summary>
    public static int Port(int port, string option, bool allowZero)
    {
        int min = allowZero ? 0 : 1;
        if (port < min || port > 65535) throw new CliException($"{option}: must be {min}-65535");
        return port;
    }

    /// <summary>Checks a framing option pair.</summary>
    public static void Framing(string length, string header)
    {
        if (!FramingFactory.LengthKinds.Contains(length)) throw new CliException($"--framing: must be one of {string.Join(", ", FramingFactory.LengthKinds)}");
        if (header is not ("none" or "tpdu")) throw new CliException("--header: must be none or tpdu");
    }
}

/// <summary><c>switch sim issuer</c>: the issuer host simulator for the switch's issuer-sim connector.</summary>
public static class IssuerSimCommand
{
    /// <summary>Builds the <c>issuer</c> sub-command.</summary>
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (default 9583, the demo issuer-sim connector's).", DefaultValueFactory = _ => 9583 };
        var spec = new Option<string>("--spec") { Description = "Message spec (built-in name or file).", DefaultValueFactory = _ => SimWire.DefaultSpec };
        var framing = new Option<string>("--framing") { Description = "Length framing: binary2, binary2-inclusive, bcd2, ascii4, none.", DefaultValueFactory = _ => "binary2" };
        var header = new Option<string>("--header") { Description = "Frame header: none or tpdu.", DefaultValueFactory = _ => "none" };
        var rules = new Option<string>("--rules") { Description = "JSON rules file (docs/simulators.md); the options below override its values." };
        var zpk = new Option<string>("--zpk") { Description = "ZPK of the PIN blocks: a demo key name or clear hex (default demo-zpk-issuer-sim)." };
        var noPinCheck = new Option<bool>("--no-pin-check") { Description = "Do not check DE 52." };
        var approveUpTo = new Option<long?>("--approve-up-to") { Description = "Approve up to this amount (minor units); above it answer --above-limit-code." };
        var aboveLimit = new Option<string>("--above-limit-code") { Description = "DE 39 above --approve-up-to: 51 (default) or 61." };
        var declinePan = new Option<string[]>("--decline-pan") { Description = "A PAN answered 05 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var lostPan = new Option<string[]>("--lost-pan") { Description = "A PAN answered 41 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var declineRate = new Option<double?>("--decline-rate") { Description = "Fraction (0-1) of otherwise approved requests declined with --decline-code." };
        var declineCode = new Option<string>("--decline-code") { Description = "DE 39 of a random decline (default 05)." };
        var seed = new Option<int?>("--seed") { Description = "Seed of the random decisions (reproducible runs)." };
        var delay = new Option<int?>("--delay-ms") { Description = "Delay every 0100/0200 answer." };
        var dropRate = new Option<double?>("--drop-rate") { Description = "Fraction (0-1) of 0100/0200 requests never answered." };
        var misbehave = new Option<string>("--misbehave") { Description = "Misbehave on 0100/0200: delay, drop, disconnect, malformed, bad-bitmap, late." };
        var misbehaveNext = new Option<int?>("--misbehave-next") { Description = "Misbehave only on the next N requests (default: all)." };
        var misbehaveDelay = new Option<int?>("--misbehave-delay-ms") { Description = "Delay of --misbehave delay or late (late defaults to 3000: past the switch's 2 s timeout)." };
        var quiet = new Option<bool>("--quiet") { Description = "Do not print a line per received message." };
        var emvImk = new Option<string>("--emv-imk") { Description = "Verify a DE 55 ARQC under this IMK-AC (demo key name or clear hex)." };
        var emvScheme = new Option<string>("--emv-scheme") { Description = "ARQC method: emv-csk (default), visa-cvn10, visa-cvn18." };
        var arqcFail = new Option<string>("--arqc-fail-code") { Description = "DE 39 for a wrong ARQC (default 05)." };
        var cmd = new Command("issuer", "Run an issuer host simulator on 127.0.0.1 until interrupted: answers sign-on and echo, authorizes by rules "
            + "(PIN under its ZPK, amount threshold, PAN lists, response-code table, seeded random declines), acknowledges advices and reversals, "
            + "misbehaves on request, and prints each received message masked.")
        {
            port, spec, framing, header, rules, zpk, noPinCheck, approveUpTo, aboveLimit, declinePan, lostPan, declineRate, declineCode, seed,
            delay, dropRate, misbehave, misbehaveNext, misbehaveDelay, quiet, emvImk, emvScheme, arqcFail,
        };
        cmd.SetAction(async (r, ct) =>
        {
            int p = SimRun.Port(r.GetValue(port), "--port", allowZero: true);
            SimRun.Framing(r.GetValue(framing)!, r.GetValue(header)!);
            IssuerRules set = r.GetValue(rules) is { } file ? LoadRules(file) : new IssuerRules();
            if (r.GetValue(zpk) is { } z) set.Zpk = z;
            if (r.GetValue(noPinCheck)) set.VerifyPin = false;
            if (r.GetValue(approveUpTo) is long limit) set.ApproveUpToMinor = limit;
            if (r.GetValue(aboveLimit) is { } code) set.AboveLimitCode = code;
            if (r.GetValue(declinePan) is { Length: > 0 } declines) set.DeclinePans = [.. set.DeclinePans ?? [], .. declines];
            if (r.GetValue(lostPan) is { Length: > 0 } lost) set.LostPans = [.. set.LostPans ?? [], .. lost];
            if (r.GetValue(declineRate) is double rate) set.DeclineRate = rate;
            if (r.GetValue(declineCode) is { } dc) set.DeclineCode = dc;
            if (r.GetValue(seed) is int s) set.Seed = s;
            if (r.GetValue(delay) is int d) set.DelayMs = d;
            if (r.GetValue(dropRate) is double drop) set.DropRate = drop;
            if (r.GetValue(emvImk) is { } imk) set.EmvImk = imk;
            if (r.GetValue(emvScheme) is { } scheme) set.EmvScheme = scheme;
            if (r.GetValue(arqcFail) is { } arqcCode) set.ArqcFailCode = arqcCode;
            if (r.GetValue(misbehave) is { } action)
            {
                set.Misbehaviours = [new MisbehaviourRule { Action = action, Next = r.GetValue(misbehaveNext), DelayMs = r.GetValue(misbehaveDelay) }, .. set.Misbehaviours ?? []];
            }
            else if (r.GetValue(misbehaveNext) is not null || r.GetValue(misbehaveDelay) is not null)
            {
                throw new CliException("--misbehave-next and --misbehave-delay-ms need --misbehave");
            }
            try
            {
                set.Validate();
            }
            catch (IssuerRulesException ex)
            {
                throw new CliException(ex.Message);
            }
            var options = new IssuerSimulatorOptions { Port = p, Spec = r.GetValue(spec)!, Framing = r.GetValue(framing)!, Header = r.GetValue(header)!, Rules = set };
            await using var simulator = new IssuerSimulator(options);
            if (!r.GetValue(quiet))
            {
                simulator.Received += entry =>
                {
                    // One line per message, masked (the log entry holds no PAN, track or PIN block).
                    lock (Console.Out) Console.Out.WriteLine(entry.ToJsonLine());
                };
            }
            await simulator.StartAsync(ct).ConfigureAwait(false);
            await SimRun.WaitForStopAsync("issuer", simulator.Port, ct).ConfigureAwait(false);
            await simulator.StopAsync().ConfigureAwait(false);
            Console.Error.WriteLine($"issuer simulator stopped after {simulator.Log.Total} messages");
            return 0;
        });
        return cmd;
    }

    private static IssuerRules LoadRules(string file)
    {
        try
        {
            return IssuerRules.Load(file);
        }
        catch (IssuerRulesException ex)
        {
            throw new CliException(ex.Message);
        }
    }
}

/// <summary>
/// What differs between <c>sim pos</c> and <c>sim acquirer</c> (an acquirer host sends the same pos-like traffic, with its
/// own DE 32, terminals and zone PIN key, to the switch's acquirer listener).
/// </summary>
internal sealed record PosVerbShape(string Name, string Description, string Target, string Terminal, string TerminalHelp,
    string? Merchant, string? PinKey, string AcquirerOption, string AcquirerHelp, string? AcquirerDefault)
{
    /// <summary><c>sim pos</c>.</summary>
    public static PosVerbShape Pos { get; } = new("pos", "Send a POS transaction to the switch and print each exchange as a masked, decoded table (exit 0 when every "
        + "request was answered, 1 on a timeout, a closed connection or a malformed answer).", "127.0.0.1:8583", "TERM0001",
        "Terminal id (DE 41): TERM0001 (MAC required) or TERM0002 (no MAC), or another with --merchant and keys.", null, null, "--acquirer", "DE 32 (none by default).", null);
}

/// <summary><c>switch sim pos</c>: a POS terminal that sends one transaction (and optionally its duplicate and its reversal).</summary>
public static class PosSimCommand
{
    /// <summary>Builds the <c>pos</c> sub-command.</summary>
    public static Command Create() => Create(PosVerbShape.Pos);

    /// <summary>Builds the <c>pos</c> sub-command or one of the same shape (<c>acquirer</c>).</summary>
    internal static Command Create(PosVerbShape shape)
    {
        var card = new Option<string>("--card") { Description = "A demo card letter (A-F on-us, R the remote issuer's) or a card profile JSON file (required without --script)." };
        var script = new Option<string>("--script") { Description = "A JSON script of steps (send, duplicate, reverse-last, each with an optional expected DE 39) instead of --card." };
        var amount = new Option<long>("--amount") { Description = "Amount in minor units (DE 4).", DefaultValueFactory = _ => 0 };
        var target = new Option<string>("--target") { Description = "The switch, HOST:PORT.", DefaultValueFactory = _ => shape.Target };
        var terminal = new Option<string>("--terminal") { Description = shape.TerminalHelp, DefaultValueFactory = _ => shape.Terminal };
        var merchant = new Option<string>("--merchant") { Description = shape.Merchant is null ? "Merchant id (DE 42; default the demo terminal's)." : $"Merchant id (DE 42; default {shape.Merchant})." };
        var pin = new Option<string>("--pin") { Description = "The PIN entered (default the card's PIN)." };
        var noPin = new Option<bool>("--no-pin") { Description = "Send no PIN block." };
        var pinKey = new Option<string>("--pin-key") { Description = shape.PinKey is null ? "PIN key: a demo key name or clear hex (default the demo terminal's TPK)." : $"PIN key: a demo key name or clear hex (default {shape.PinKey})." };
        var macKey = new Option<string>("--mac-key") { Description = "MAC key: a demo key name or clear hex (default the demo terminal's TAK)." };
        var mti = new Option<string>("--mti") { Description = "0100 or 0200.", DefaultValueFactory = _ => "0200" };
        var pc = new Option<string>("--processing-code") { Description = "00 purchase, 01 withdrawal, 31 balance inquiry.", DefaultValueFactory = _ => "00" };
        var reverse = new Option<bool>("--reverse-last") { Description = "After the transaction, reverse it (0400 with DE 90)." };
        var partial = new Option<long?>("--partial") { Description = "With --reverse-last: a partial reversal, DE 95 = this actual amount." };
        var reversalMti = new Option<string>("--reversal-mti") { Description = "MTI of the reversal: 0400 (default), 0401, 0420, 0421.", DefaultValueFactory = _ => "0400" };
        var duplicate = new Option<bool>("--duplicate") { Description = "Send the transaction twice, byte for byte (same DE 7 and DE 11)." };
        var badMac = new Option<bool>("--bad-mac") { Description = "Send a wrong MAC." };
        var noMac = new Option<bool>("--no-mac") { Description = "Send no MAC even though the terminal requires one." };
        var wrongPin = new Option<bool>("--wrong-pin") { Description = "Send a PIN one digit off the card's." };
        var json = new Option<bool>("--json") { Description = "One JSON line per exchange (masked) instead of tables." };
        var timeout = new Option<int>("--timeout-ms") { Description = "Wait for each answer.", DefaultValueFactory = _ => 5000 };
        var spec = new Option<string>("--spec") { Description = "Message spec (built-in name or file).", DefaultValueFactory = _ => SimWire.DefaultSpec };
        var framing = new Option<string>("--framing") { Description = "Length framing: binary2, binary2-inclusive, bcd2, ascii4, none.", DefaultValueFactory = _ => "binary2" };
        var header = new Option<string>("--header") { Description = "Frame header: none or tpdu.", DefaultValueFactory = _ => "none" };
        var tpdu = new Option<string>("--tpdu") { Description = "TPDU sent with --header tpdu (10 hex digits).", DefaultValueFactory = _ => "6000010000" };
        var acquirer = new Option<string>(shape.AcquirerOption) { Description = shape.AcquirerHelp };
        if (shape.AcquirerDefault is { } institution) acquirer.DefaultValueFactory = _ => institution;
        var stan = new Option<int?>("--stan") { Description = "First STAN (default random)." };
        var bdk = new Option<string>("--bdk") { Description = "TDES DUKPT instead of a TPK: the BDK (a demo key name or 32 hex digits); needs --ksn and --ksn-field." };
        var ksn = new Option<string>("--ksn") { Description = "With --bdk: the KSN of the first PIN block (20 hex digits); it advances per PIN block." };
        var ksnField = new Option<int?>("--ksn-field") { Description = "With --bdk: the field carrying the KSN (e.g. 62)." };
        var emvImk = new Option<string>("--emv-imk") { Description = "Chip: DE 55 with a real ARQC under this IMK-AC (demo key name or clear hex; a profile's imkAc wins)." };
        var emvScheme = new Option<string>("--emv-scheme") { Description = "ARQC method: emv-csk, visa-cvn10, visa-cvn18.", DefaultValueFactory = _ => "emv-csk" };
        var atc = new Option<int>("--atc") { Description = "First application transaction counter.", DefaultValueFactory = _ => 1 };
        var cmd = new Command(shape.Name, shape.Description)
        {
            card, script, amount, target, terminal, merchant, pin, noPin, pinKey, macKey, mti, pc, reverse, partial, reversalMti, duplicate, badMac, noMac,
            wrongPin, json, timeout, spec, framing, header, tpdu, acquirer, stan, bdk, ksn, ksnField, emvImk, emvScheme, atc,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (!EndpointParser.TryParse(r.GetValue(target), out string host, out int port)) throw new CliException("--target: must be HOST:PORT with a port 1-65535");
            SimRun.Framing(r.GetValue(framing)!, r.GetValue(header)!);
            if (r.GetValue(pin) is not null && r.GetValue(noPin)) throw new CliException("--pin and --no-pin exclude each other");
            if (r.GetValue(partial) is not null && !r.GetValue(reverse)) throw new CliException("--partial needs --reverse-last");
            int faults = (r.GetValue(badMac) ? 1 : 0) + (r.GetValue(noMac) ? 1 : 0) + (r.GetValue(wrongPin) ? 1 : 0);
            if (faults > 1) throw new CliException("--bad-mac, --no-mac and --wrong-pin exclude each other");
            if (r.GetValue(pin) is { } entered && (entered.Length is < 4 or > 12 || !entered.All(char.IsAsciiDigit))) throw new CliException("--pin: must be 4 to 12 digits");
            string rmti = r.GetValue(reversalMti)!;
            if (r.GetValue(script) is not null && r.GetValue(card) is not null) throw new CliException("--script and --card exclude each other");
            if (r.GetValue(script) is null && r.GetValue(card) is null) throw new CliException("--card (or --script) is required");
            PosScript? steps = r.GetValue(script) is { } file ? LoadScript(file) : null;
            if (rmti is not ("0400" or "0401" or "0420" or "0421")) throw new CliException("--reversal-mti: must be 0400, 0401, 0420 or 0421");
            var tx = steps is not null ? null : new PosTransaction
            {
                Card = ResolveCard(r.GetValue(card)!),
                AmountMinor = r.GetValue(amount),
                Mti = r.GetValue(mti)!,
                ProcessingCode = r.GetValue(pc)!,
                Pin = r.GetValue(pin),
                NoPin = r.GetValue(noPin),
                Fault = r.GetValue(badMac) ? PosFault.BadMac : r.GetValue(noMac) ? PosFault.NoMac : r.GetValue(wrongPin) ? PosFault.WrongPin : PosFault.None,
            };
            var options = new PosTerminalOptions
            {
                Host = host, Port = port, Spec = r.GetValue(spec)!, Framing = r.GetValue(framing)!, Header = r.GetValue(header)!, TpduHex = r.GetValue(tpdu)!,
                TerminalId = r.GetValue(terminal)!, MerchantId = r.GetValue(merchant) ?? shape.Merchant, PinKey = r.GetValue(pinKey) ?? shape.PinKey, MacKey = r.GetValue(macKey),
                AcquirerId = r.GetValue(acquirer), AnswerTimeoutMs = r.GetValue(timeout), StanStart = r.GetValue(stan),
                Bdk = r.GetValue(bdk), Ksn = r.GetValue(ksn), KsnField = r.GetValue(ksnField),
                EmvImk = r.GetValue(emvImk), EmvScheme = r.GetValue(emvScheme)!, AtcStart = r.GetValue(atc),
            };
            if (options.Bdk is null && (options.Ksn is not null || options.KsnField is not null)) throw new CliException("--ksn and --ksn-field need --bdk");
            await using var pos = new PosTerminal(options);
            // Built before anything is sent: a bad option is an error line with nothing on stdout.
            bool asJson = r.GetValue(json);
            if (steps is not null)
            {
                foreach (var step in steps.Steps.Where(s => s.Action == "send")) pos.Validate(PosScript.Transaction(step));
                string? scriptError = await steps.RunAsync(pos, x => Print(x, asJson), ct).ConfigureAwait(false);
                Console.Out.Flush();
                return scriptError is null ? 0 : CliErrors.Fail(scriptError);
            }
            pos.Validate(tx!);
            var exchanges = new List<PosExchange> { await pos.SendAsync(tx!, ct).ConfigureAwait(false) };
            Print(exchanges[^1], asJson);
            if (r.GetValue(duplicate) && exchanges[^1].Error is null)
            {
                exchanges.Add(await pos.RepeatLastAsync(ct).ConfigureAwait(false));
                Print(exchanges[^1], asJson);
            }
            if (r.GetValue(reverse) && exchanges.All(e => e.Error is null))
            {
                exchanges.Add(await pos.ReverseLastAsync(r.GetValue(partial), rmti, ct).ConfigureAwait(false));
                Print(exchanges[^1], asJson);
            }
            var failed = exchanges.FirstOrDefault(e => e.Error is not null);
            Console.Out.Flush();
            return failed is null ? 0 : CliErrors.Fail($"{failed.Kind}: {failed.Error}");
        });
        return cmd;
    }

    private static PosScript LoadScript(string file)
    {
        try
        {
            return PosScript.Load(file);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    private static CardProfile ResolveCard(string value)
    {
        try
        {
            return CardProfile.Resolve(value);
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"--card: {ex.Message}");
        }
    }

    private static void Print(PosExchange exchange, bool json) =>
        Console.Out.Write(json ? ExchangePrinter.Json(exchange) + "\n" : ExchangePrinter.Table(exchange));
}

/// <summary><c>switch sim echo --port P</c>: a framed raw echo server (the ceiling for load comparisons).</summary>
public static class EchoSimCommand
{
    /// <summary>Builds the <c>echo</c> sub-command.</summary>
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1.", Required = true };
        var framing = new Option<string>("--framing") { Description = "Length framing: binary2, binary2-inclusive, bcd2, ascii4, none.", DefaultValueFactory = _ => "binary2" };
        var header = new Option<string>("--header") { Description = "Frame header: none or tpdu.", DefaultValueFactory = _ => "none" };
        var cmd = new Command("echo", "Run a framed raw echo on 127.0.0.1 until interrupted: every frame comes back whole, unparsed.") { port, framing, header };
        cmd.SetAction(async (r, ct) =>
        {
            int p = SimRun.Port(r.GetValue(port), "--port", allowZero: true);
            SimRun.Framing(r.GetValue(framing)!, r.GetValue(header)!);
            await using var echo = new EchoServer(r.GetValue(framing)!, r.GetValue(header)!, p);
            echo.Start();
            await SimRun.WaitForStopAsync("echo", echo.Port, ct).ConfigureAwait(false);
            await echo.StopAsync().ConfigureAwait(false);
            Console.Error.WriteLine($"echo stopped after {echo.FramesEchoed} frames");
            return 0;
        });
        return cmd;
    }
}
