using Switch.Iso8583.Message;
using Switch.Simulators.Card;

namespace Switch.Simulators.Cert;

/// <summary>The outcome of a case.</summary>
public enum CaseStatus
{
    /// <summary>Every expectation held.</summary>
    Passed,
    /// <summary>An expectation did not hold, or nothing usable came back.</summary>
    Failed,
    /// <summary>Not run: a dependency did not pass, or the case needs the hosted issuer and there is none.</summary>
    Skipped,
}

/// <summary>One expectation's result; <see cref="Detail"/> is masked.</summary>
public sealed record CheckResult(string What, bool Passed, string Detail);

/// <summary>One field of a message as reports show it: masked by the spec's sensitivity.</summary>
public sealed record FieldView(int Field, string Name, string Value);

/// <summary>A message as reports show it (masked).</summary>
public sealed record MessageView(string Mti, IReadOnlyList<FieldView> Fields)
{
    /// <summary>The masked view of a message (<see cref="ExchangePrinter.MaskedValue"/>: PAN 6/4, track data and PIN block never shown).</summary>
    public static MessageView Of(IsoMessage message)
    {
        var fields = new List<FieldView>();
        foreach (int f in message.Fields)
        {
            var fs = message.Spec[f]!;
            fields.Add(new FieldView(f, fs.Name, ExchangePrinter.MaskedValue(message, f)));
        }
        return new MessageView(message.Mti ?? "????", fields);
    }
}

/// <summary>A request and its answer as reports show them.</summary>
public sealed record ExchangeView(string Kind, MessageView Request, MessageView? Answer, double ElapsedMs, bool? MacValid, string? Error)
{
    /// <summary>The masked view of an exchange.</summary>
    public static ExchangeView Of(PosExchange x) =>
        new(x.Kind, MessageView.Of(x.Request), x.Answer is null ? null : MessageView.Of(x.Answer), x.ElapsedMs, x.AnswerMacValid, x.Error);

    /// <summary>DE 39 of the answer.</summary>
    public string? ResponseCode => Answer?.Fields.FirstOrDefault(f => f.Field == 39)?.Value.Split(' ')[0];
}

/// <summary>A case's outcome with what was sent and received (masked) and the expectations' results.</summary>
public sealed class CaseResult
{
    /// <summary>The case.</summary>
    public required CertCase Case { get; init; }

    /// <summary>Outcome.</summary>
    public CaseStatus Status { get; set; }

    /// <summary>Why it was skipped, or the first failure.</summary>
    public string? Reason { get; set; }

    /// <summary>The expectations' results in order.</summary>
    public List<CheckResult> Checks { get; } = [];

    /// <summary>The exchange (masked), when something was sent.</summary>
    public ExchangeView? Exchange { get; set; }

    /// <summary>The hosted issuer's log lines (masked JSON) of the messages it received during the case.</summary>
    public List<string> IssuerLog { get; } = [];

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>Case duration (issuer steps and waits included).</summary>
    public double DurationMs { get; set; }
}

/// <summary>A whole run.</summary>
public sealed class RunResult
{
    /// <summary>The suite.</summary>
    public required Suite Suite { get; init; }

    /// <summary>HOST:PORT of the switch.</summary>
    public required string Target { get; init; }

    /// <summary>The hosted issuer's port, if any.</summary>
    public int? IssuerPort { get; init; }

    /// <summary>Cases in run order.</summary>
    public List<CaseResult> Cases { get; } = [];

    /// <summary>Start.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Duration.</summary>
    public double DurationMs { get; set; }

    /// <summary>Passed cases.</summary>
    public int Passed => Cases.Count(c => c.Status == CaseStatus.Passed);

    /// <summary>Failed cases.</summary>
    public int Failed => Cases.Count(c => c.Status == CaseStatus.Failed);

    /// <summary>Skipped cases.</summary>
    public int Skipped => Cases.Count(c => c.Status == CaseStatus.Skipped);

    /// <summary>The summary line.</summary>
    public string Summary => $"{Suite.Name}: {Cases.Count} cases, {Passed} passed, {Failed} failed, {Skipped} skipped{(Skipped > 0 ? " (skips do not fail the run)" : "")} in {DurationMs / 1000:F1} s";
}

/// <summary>Told as the run goes (the console table).</summary>
public interface ICertProgress
{
    /// <summary>A case starts.</summary>
    void Started(CertCase c);

    /// <summary>A case is done.</summary>
    void Finished(CaseResult result);
}
