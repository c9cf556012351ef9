using System.Diagnostics;
using Switch.Core.MasterData;
using Switch.Iso8583.Message;
using Switch.Security.Keys;
using Switch.Simulators.Card;

namespace Switch.Simulators.Cert;

/// <summary>Where the runner sends and whether it hosts the issuer.</summary>
public sealed class CertRunOptions
{
    /// <summary>The switch's terminal listener host.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Its port.</summary>
    public required int Port { get; init; }

    /// <summary>Host the issuer simulator on 127.0.0.1:this port (the switch's issuer connector must point there).</summary>
    public int? IssuerPort { get; init; }
}

/// <summary>
/// Runs a suite's cases in order against a switch: one POS terminal connection per demo terminal, the issuer simulator
/// hosted when asked, each case's expectations checked, everything kept masked for the reports.
/// </summary>
public sealed class CertRunner : IAsyncDisposable
{
    private readonly Suite _suite;
    private readonly CertRunOptions _options;
    private readonly Dictionary<string, PosTerminal> _terminals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SecureKey> _taks = new(StringComparer.Ordinal);
    private readonly SimCrypto _crypto = new();
    private readonly HostedIssuer? _issuer;
    private readonly Dictionary<string, CaseState> _states = new(StringComparer.Ordinal);
    private int _stan = Random.Shared.Next(1, 900_000);

    /// <summary>What later cases may refer to: the raw exchange (kept in memory only) and the issuer leg.</summary>
    internal sealed record CaseState(CaseResult Result, PosExchange? Exchange, IssuerLogEntry? IssuerLeg);

    /// <summary>Creates a runner (nothing is connected yet).</summary>
    public CertRunner(Suite suite, CertRunOptions options)
    {
        _suite = suite;
        _options = options;
        if (options.IssuerPort is int port) _issuer = new HostedIssuer(port, suite.IssuerRulesJson);
    }

    /// <summary>Runs every case; throws <see cref="TimeoutException"/> when the hosted issuer gets no sign-on at the start.</summary>
    public async Task<RunResult> RunAsync(ICertProgress progress, CancellationToken ct)
    {
        var run = new RunResult { Suite = _suite, Target = $"{_options.Host}:{_options.Port}", IssuerPort = _options.IssuerPort, StartedAt = DateTimeOffset.UtcNow };
        var started = Stopwatch.GetTimestamp();
        if (_issuer is not null) await _issuer.UpAsync(_suite.Settings.IssuerSignOnTimeoutMs, ct).ConfigureAwait(false);
        foreach (var c in _suite.Cases)
        {
            progress.Started(c);
            var result = await RunCaseAsync(c, ct).ConfigureAwait(false);
            run.Cases.Add(result);
            progress.Finished(result);
        }
        run.DurationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return run;
    }

    private async Task<CaseResult> RunCaseAsync(CertCase c, CancellationToken ct)
    {
        var result = new CaseResult { Case = c, StartedAt = DateTimeOffset.UtcNow };
        var started = Stopwatch.GetTimestamp();
        int mark = _issuer?.Mark ?? 0;
        PosExchange? exchange = null;
        try
        {
            if (SkipReason(c) is { } skip)
            {
                result.Status = CaseStatus.Skipped;
                result.Reason = skip;
                return result;
            }
            await ApplyIssuerAsync(c, ct).ConfigureAwait(false);
            exchange = await SendAsync(c, ct).ConfigureAwait(false);
            result.Exchange = ExchangeView.Of(exchange);
            // The case's own fields may be referred to by its expectations (the echoed DE11 equals the request's).
            _states[c.Id] = new CaseState(result, exchange, IssuerLeg(mark));
            var checker = new Expectations(_states, _issuer, mark);
            checker.CheckAnswer(c, exchange, result.Checks);
            if (exchange.Answered) await checker.CheckIssuerAsync(c, result.Checks, ct).ConfigureAwait(false);
            var failed = result.Checks.FirstOrDefault(x => !x.Passed);
            result.Status = failed is null ? CaseStatus.Passed : CaseStatus.Failed;
            result.Reason = failed is null ? null : $"{failed.What}: {failed.Detail}";
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or TimeoutException or IssuerRulesException or CaseException or System.Net.Sockets.SocketException)
        {
            result.Status = CaseStatus.Failed;
            result.Reason = ex.Message;
        }
        finally
        {
            if (_issuer is not null)
            {
                await _issuer.RestoreAsync(ct).ConfigureAwait(false);
                foreach (var e in _issuer.Since(mark)) result.IssuerLog.Add(e.ToJsonLine());
            }
            _states[c.Id] = new CaseState(result, exchange, IssuerLeg(mark));
            result.DurationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        return result;
    }

    /// <summary>The first 0100/0200 the hosted issuer received since the mark: the case's issuer leg.</summary>
    private IssuerLogEntry? IssuerLeg(int mark) => _issuer?.Since(mark).FirstOrDefault(e => e.Mti is not null && Expectations.IsAuthorizationOrFinancial(e.Mti));

    private string? SkipReason(CertCase c)
    {
        foreach (string dep in c.DependsOn)
        {
            var status = _states[dep].Result.Status;
            if (status != CaseStatus.Passed) return $"depends on '{dep}', which {(status == CaseStatus.Failed ? "failed" : "was skipped")}";
        }
        if (c.NeedsIssuer && _issuer is null) return "needs the hosted issuer simulator: run with --issuer-port P (the switch's issuer connector pointing at 127.0.0.1:P)";
        return null;
    }

    private async Task ApplyIssuerAsync(CertCase c, CancellationToken ct)
    {
        switch (c.Issuer)
        {
            case null:
                return;
            case IssuerStep.Down:
                await _issuer!.DownAsync().ConfigureAwait(false);
                await Task.Delay(_suite.Settings.IssuerSettleMs, ct).ConfigureAwait(false);
                return;
            case IssuerStep.Up:
                await _issuer!.UpAsync(_suite.Settings.IssuerSignOnTimeoutMs, ct).ConfigureAwait(false);
                return;
            case IssuerStep.Rules rules:
                await _issuer!.UseAsync(rules, ct).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>The terminal's connection (opened by its first exchange).</summary>
    private PosTerminal Terminal(string terminalId)
    {
        if (_terminals.TryGetValue(terminalId, out var pos)) return pos;
        pos = new PosTerminal(new PosTerminalOptions { Host = _options.Host, Port = _options.Port, TerminalId = terminalId, AnswerTimeoutMs = _suite.Settings.AnswerTimeoutMs });
        _terminals.Add(terminalId, pos);
        return pos;
    }

    private async Task<PosExchange> SendAsync(CertCase c, CancellationToken ct)
    {
        var pos = Terminal(c.Terminal);
        var t = c.Send;
        switch (t.Kind)
        {
            case SendKind.Repeat:
                var original = _states[t.Repeats!].Exchange ?? throw new CaseException($"'{t.Repeats}' sent nothing to repeat");
                return await pos.ExchangeAsync("duplicate", pos.Spec.Decode(original.RequestBytes.ToArray()), ct).ConfigureAwait(false);
            case SendKind.Reversal:
                var reversed = _states[t.Reverses!].Exchange ?? throw new CaseException($"'{t.Reverses}' sent nothing to reverse");
                return await pos.ReverseAsync(reversed, t.PartialAmount, t.Mti, ct).ConfigureAwait(false);
            case SendKind.Card:
                return await pos.ExchangeAsync(Kind(t), await BuildCardAsync(pos, c, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            default:
                return await pos.ExchangeAsync($"{t.Mti} message", await BuildMessageAsync(pos, c, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
    }

    private static string Kind(SendTemplate t) => t.ProcessingCode[..2] switch
    {
        "00" => "purchase",
        "01" => "withdrawal",
        "31" => "balance inquiry",
        _ => $"processing code {t.ProcessingCode}",
    };

    /// <summary>The POS terminal builds the card fields, PIN block included; then the case's changes; then the MAC.</summary>
    private async Task<IsoMessage> BuildCardAsync(PosTerminal pos, CertCase c, CancellationToken ct)
    {
        var t = c.Send;
        var card = t.Card!;
        var tx = new PosTransaction
        {
            Mti = t.Mti,
            ProcessingCode = t.ProcessingCode,
            AmountMinor = t.Amount,
            Card = card,
            NoPin = t.Pin == "none",
            Pin = t.Pin switch
            {
                "right" or "none" => null,
                "wrong" => WrongPin(card.Pin!),
                var digits => digits,
            },
            // The MAC comes last, after the case's own field changes.
            Fault = PosFault.NoMac,
        };
        var m = await pos.BuildAsync(tx, ct).ConfigureAwait(false);
        if (t.WrongCvv) m.Set(35, WrongCvv(m.GetString(35)!));
        Change(m, t);
        await SealAsync(m, pos, c, ct).ConfigureAwait(false);
        return m;
    }

    private async Task<IsoMessage> BuildMessageAsync(PosTerminal pos, CertCase c, CancellationToken ct)
    {
        var m = pos.Spec.NewMessage(c.Send.Mti);
        m.Set(7, DateTime.UtcNow.ToString("MMddHHmmss"));
        _stan = _stan >= 999_999 ? 1 : _stan + 1;
        m.Set(11, _stan.ToString("D6"));
        Change(m, c.Send);
        await SealAsync(m, pos, c, ct).ConfigureAwait(false);
        return m;
    }

    private void Change(IsoMessage m, SendTemplate t)
    {
        foreach (var (field, value) in t.Fields) m.Set(field, Expectations.Resolve(_states, value, forRegex: false));
        foreach (int field in t.Remove) m.Remove(field);
    }

    private async Task SealAsync(IsoMessage m, PosTerminal pos, CertCase c, CancellationToken ct)
    {
        m.Remove(64);
        m.Remove(128);
        var mode = c.Send.Mac == MacMode.Auto ? pos.MacRequired ? MacMode.On : MacMode.Off : c.Send.Mac;
        if (mode == MacMode.Off) return;
        int field = await _crypto.ApplyMacAsync(m, await TakAsync(c.Terminal, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        if (mode != MacMode.Bad) return;
        byte[] mac = m.GetBinary(field).ToArray();
        mac[0] ^= 0x01;
        m.SetBinary(field, mac);
    }

    private async Task<SecureKey> TakAsync(string terminalId, CancellationToken ct)
    {
        if (_taks.TryGetValue(terminalId, out var key)) return key;
        string takRef = DemoDataSet.All.Terminals.First(t => t.TerminalId == terminalId).TakRef ?? throw new CaseException($"terminal {terminalId} has no MAC key");
        key = await _crypto.ImportAsync(KeyType.Tak, DemoKeys.ClearHex(takRef, "mac key"), ct).ConfigureAwait(false);
        _taks.Add(terminalId, key);
        return key;
    }

    /// <summary>One digit off: the last digit plus one.</summary>
    private static string WrongPin(string pin) => pin[..^1] + (char)('0' + ((pin[^1] - '0' + 1) % 10));

    /// <summary>
    /// Track 2 with another CVV: the demo layout is PAN '=' YYMM, service code, PVKI, PVV (12 characters), then the
    /// 3-digit CVV; each of its digits is moved by one.
    /// </summary>
    internal static string WrongCvv(string track2)
    {
        int at = track2.IndexOf('=', StringComparison.Ordinal) + 13;
        if (at < 13 || track2.Length < at + 3) throw new CaseException("cvv wrong: track 2 has no CVV where the demo layout puts it (PAN=YYMM SSS P VVVV CCC)");
        char[] chars = track2.ToCharArray();
        for (int i = at; i < at + 3; i++) chars[i] = (char)('0' + ((chars[i] - '0' + 1) % 10));
        return new string(chars);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var pos in _terminals.Values) await pos.DisposeAsync().ConfigureAwait(false);
        foreach (var key in _taks.Values) key.Dispose();
        await _crypto.DisposeAsync().ConfigureAwait(false);
        if (_issuer is not null) await _issuer.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A case that cannot go on (a reference that does not resolve, nothing to repeat).</summary>
public sealed class CaseException(string message) : Exception(message);
