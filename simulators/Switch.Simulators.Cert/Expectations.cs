using System.Text.Json;
using System.Text.RegularExpressions;
using Switch.Common.Masking;
using Switch.Iso8583;
using Switch.Iso8583.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Simulators.Card;

namespace Switch.Simulators.Cert;

/// <summary>Checks a case's answer and what the hosted issuer received; every detail it writes is masked.</summary>
internal sealed class Expectations(IReadOnlyDictionary<string, CertRunner.CaseState> states, HostedIssuer? issuer, int issuerMark)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>01xx and 02xx requests: what an issuer leg is.</summary>
    public static bool IsAuthorizationOrFinancial(string mti) => mti.Length == 4 && mti[1] is '1' or '2' && mti[2] == '0';

    /// <summary>The text with every ${case.source.field} replaced; throws <see cref="CaseException"/> when one does not resolve.</summary>
    public static string Resolve(IReadOnlyDictionary<string, CertRunner.CaseState> states, string text, bool forRegex) =>
        Variables.Substitute(text, r => Value(states, r), forRegex);

    private static string Value(IReadOnlyDictionary<string, CertRunner.CaseState> states, Variables.Reference r)
    {
        var state = states[r.Case];
        string? value = r.Source switch
        {
            "request" => state.Exchange is { } x ? Field(x.Request, r.Field) : null,
            "answer" => state.Exchange?.Answer is { } a ? Field(a, r.Field) : null,
            _ => state.IssuerLeg is { } leg ? LoggedField(leg.MaskedJson, r.Field) : null,
        };
        return value ?? throw new CaseException($"{r.Text}: case '{r.Case}' has no field {r.Field} in its {(r.Source == "issuer" ? "issuer leg" : r.Source)}");
    }

    /// <summary>A field's value as a string, or null when absent (binary fields as hex).</summary>
    public static string? Field(IsoMessage m, int field)
    {
        if (!m.Has(field)) return null;
        try
        {
            return m.GetString(field);
        }
        catch (IsoFormatException)
        {
            return "[unreadable]";
        }
    }

    /// <summary>A field of a message the issuer simulator logged (its masked JSON).</summary>
    public static string? LoggedField(string maskedJson, int field)
    {
        try
        {
            using var doc = JsonDocument.Parse(maskedJson);
            return doc.RootElement.TryGetProperty("fields", out var fields) && fields.TryGetProperty(field.ToString(), out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The answer's checks: DE 39, MTI, fields, balance, MAC, time.</summary>
    public void CheckAnswer(CertCase c, PosExchange x, List<CheckResult> checks)
    {
        if (!x.Answered)
        {
            checks.Add(new CheckResult("answer", false, x.Error ?? "no answer"));
            return;
        }
        var answer = x.Answer!;
        var e = c.Expect;
        if (e.De39 is { } codes)
        {
            string? code = answer.GetString(39);
            bool ok = code is not null && codes.Contains(code);
            checks.Add(new CheckResult($"DE39 {string.Join(" or ", codes)}", ok, $"DE39 {code ?? "absent"} ({ResponseCode.Describe(code)})"));
        }
        if (e.Mti is { } mti) checks.Add(new CheckResult($"MTI {mti}", answer.Mti == mti, $"MTI {answer.Mti}"));
        foreach (var f in e.Fields) checks.Add(CheckField(f, Field(answer, f.Field), answer.Spec[f.Field]?.Sensitivity ?? Switch.Iso8583.Spec.Sensitivity.None));
        if (e.Balance is { } b) checks.Add(CheckBalance(b, answer));
        if (e.Mac == "valid") checks.Add(new CheckResult("answer MAC valid", x.AnswerMacValid == true, x.AnswerMacValid switch { true => "verified under the terminal's TAK", false => "does not verify", null => "no MAC in the answer" }));
        if (e.Mac == "absent") checks.Add(new CheckResult("no MAC in the answer", !answer.Has(64) && !answer.Has(128), answer.Has(64) || answer.Has(128) ? "the answer carries a MAC" : "no DE64/DE128"));
        if (e.MaxMs is int max) checks.Add(new CheckResult($"answer within {max} ms", x.ElapsedMs <= max, $"{x.ElapsedMs:F1} ms"));
        if (e.MinMs is int min) checks.Add(new CheckResult($"answer after at least {min} ms", x.ElapsedMs >= min, $"{x.ElapsedMs:F1} ms"));
        if (checks.Count == 0) checks.Add(new CheckResult("answered", true, $"{answer.Mti} DE39 {answer.GetString(39) ?? "absent"}"));
    }

    private FieldCheck Resolved(FieldCheck f) => f.Value is null ? f : f with { Value = Resolve(states, f.Value, f.Kind == CheckKind.Regex) };

    private CheckResult CheckField(FieldCheck check, string? actual, Switch.Iso8583.Spec.Sensitivity sensitivity)
    {
        var f = Resolved(check);
        string shown = actual is null ? "absent" : Show(actual, sensitivity);
        return f.Kind switch
        {
            CheckKind.Present => new CheckResult($"DE{f.Field} present", actual is not null, shown),
            CheckKind.Absent => new CheckResult($"DE{f.Field} absent", actual is null, shown),
            CheckKind.Equals => new CheckResult($"DE{f.Field} = {Show(f.Value!, sensitivity)}", actual == f.Value, shown),
            _ => new CheckResult($"DE{f.Field} ~ /{(sensitivity == Switch.Iso8583.Spec.Sensitivity.None ? f.Value : SensitiveDataMasker.Redacted)}/", actual is not null && Regex.IsMatch(actual, $"^(?:{f.Value})$", RegexOptions.None, RegexTimeout), shown),
        };
    }

    /// <summary>A value for a report: masked as its field's sensitivity says (a suite may hold test PANs; reports never show them whole).</summary>
    private static string Show(string value, Switch.Iso8583.Spec.Sensitivity sensitivity) => sensitivity switch
    {
        Switch.Iso8583.Spec.Sensitivity.None => value,
        Switch.Iso8583.Spec.Sensitivity.Pan => PanMask.Mask(value),
        Switch.Iso8583.Spec.Sensitivity.Track => SensitiveDataMasker.MaskTrack(value),
        _ => SensitiveDataMasker.Redacted,
    };

    private CheckResult CheckBalance(BalanceDefinition b, IsoMessage answer)
    {
        string what = $"available balance changed by {b.Change} since '{b.From}'";
        long? now = Available(Field(answer, 54));
        long? before = states[b.From].Exchange?.Answer is { } a ? Available(Field(a, 54)) : null;
        if (now is null || before is null) return new CheckResult(what, false, $"no available balance in DE54 ({(before is null ? $"'{b.From}'" : "this answer")})");
        long change = now.Value - before.Value;
        return new CheckResult(what, change == b.Change, $"{before} -> {now}: changed by {change}");
    }

    /// <summary>DE 54's available balance (amount type 02), signed: 20-character blocks of account type, amount type, currency, C/D, 12 digits.</summary>
    public static long? Available(string? de54)
    {
        if (de54 is null) return null;
        for (int i = 0; i + 20 <= de54.Length; i += 20)
        {
            var block = de54.AsSpan(i, 20);
            if (!block[2..4].SequenceEqual("02") || !long.TryParse(block[8..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long amount)) continue;
            return block[7] == 'D' ? -amount : amount;
        }
        return null;
    }

    /// <summary>Waits for each issuer expectation (until its time after the answer) and records the result.</summary>
    public async Task CheckIssuerAsync(CertCase c, List<CheckResult> checks, CancellationToken ct)
    {
        foreach (var e in c.ExpectIssuer)
        {
            long deadline = Environment.TickCount64 + e.WithinMs;
            string what = $"issuer received {(e.Count > 1 ? $"{e.Count}x " : "")}{e.MtiPattern}{Describe(e)} within {e.WithinMs} ms";
            while (true)
            {
                var received = issuer!.Since(issuerMark);
                var (matching, why) = Match(e, received);
                if (matching >= e.Count)
                {
                    checks.Add(new CheckResult(what, true, $"{matching} matching of {received.Count} received during the case"));
                    break;
                }
                if (Environment.TickCount64 > deadline)
                {
                    checks.Add(new CheckResult(what, false, $"{matching} matching of {received.Count} received during the case{why}"));
                    break;
                }
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    private string Describe(IssuerExpectation e)
    {
        var parts = e.Fields.Select(Resolved).Select(f => f.Kind switch
        {
            CheckKind.Present => $"DE{f.Field} present",
            CheckKind.Absent => $"DE{f.Field} absent",
            CheckKind.Equals => $"DE{f.Field} = {f.Value}",
            _ => $"DE{f.Field} ~ /{f.Value}/",
        }).ToList();
        if (e.PinCheck is { } pin) parts.Add($"PIN {pin}");
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    /// <summary>How many received messages match, and for a failure the nearest miss (the first with the MTI).</summary>
    private (int Matching, string Why) Match(IssuerExpectation e, IReadOnlyList<IssuerLogEntry> received)
    {
        int matching = 0;
        string why = "";
        foreach (var entry in received)
        {
            if (entry.Mti is null || !e.Mti.IsMatch(entry.Mti)) continue;
            string? miss = Miss(e, entry);
            if (miss is null) matching++;
            else if (why.Length == 0) why = $"; {entry.Mti} #{entry.Sequence}: {miss}";
        }
        return (matching, why);
    }

    private string? Miss(IssuerExpectation e, IssuerLogEntry entry)
    {
        if (e.PinCheck is { } pin && entry.PinCheck != pin) return $"PIN check {entry.PinCheck ?? "none"}";
        foreach (var check in e.Fields)
        {
            // The log holds the message masked: DE 2 compares masked, DE 35 and DE 52 cannot be compared.
            var result = CheckField(check, LoggedField(entry.MaskedJson, check.Field), Switch.Iso8583.Spec.Sensitivity.None);
            if (!result.Passed) return $"{result.What} is {result.Detail}";
        }
        return null;
    }
}
