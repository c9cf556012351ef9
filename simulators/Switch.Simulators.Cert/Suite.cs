using System.Text.RegularExpressions;
using Switch.Simulators.Card;

namespace Switch.Simulators.Cert;

/// <summary>A bad suite: the message names the file, the case and the property (or the line and column).</summary>
public sealed class SuiteException(string message) : Exception(message);

/// <summary>A suite checked whole: its settings and its cases in run order.</summary>
public sealed class Suite
{
    /// <summary>The suite's name.</summary>
    public required string Name { get; init; }

    /// <summary>What it certifies.</summary>
    public string? Description { get; init; }

    /// <summary>The folder it was read from.</summary>
    public required string Folder { get; init; }

    /// <summary>suite.json's settings.</summary>
    public required SuiteFile Settings { get; init; }

    /// <summary>The hosted issuer's base rules as JSON (parsed afresh for each use: the rules object is mutable).</summary>
    public string? IssuerRulesJson { get; init; }

    /// <summary>The cases in run order.</summary>
    public required IReadOnlyList<CertCase> Cases { get; init; }
}

/// <summary>What kind of message a case sends.</summary>
public enum SendKind
{
    /// <summary>A card transaction built by the POS terminal (0100/0200 purchase, withdrawal, balance inquiry).</summary>
    Card,
    /// <summary>A reversal of an earlier case's transaction.</summary>
    Reversal,
    /// <summary>An earlier case's request again, byte for byte.</summary>
    Repeat,
    /// <summary>A message of the given MTI and fields only (0800 sign-on, echo).</summary>
    Message,
}

/// <summary>MAC of the request.</summary>
public enum MacMode
{
    /// <summary>As the terminal's profile says.</summary>
    Auto,
    /// <summary>Always.</summary>
    On,
    /// <summary>Never.</summary>
    Off,
    /// <summary>Computed, then one bit flipped.</summary>
    Bad,
}

/// <summary>The message template of a case, checked.</summary>
public sealed class SendTemplate
{
    /// <summary>Kind.</summary>
    public required SendKind Kind { get; init; }

    /// <summary>MTI.</summary>
    public required string Mti { get; init; }

    /// <summary>The card (Card kind).</summary>
    public CardProfile? Card { get; init; }

    /// <summary>Processing code.</summary>
    public string ProcessingCode { get; init; } = "00";

    /// <summary>DE 4.</summary>
    public long Amount { get; init; }

    /// <summary>right, wrong, none or digits.</summary>
    public string Pin { get; init; } = "right";

    /// <summary>Change track 2's CVV.</summary>
    public bool WrongCvv { get; init; }

    /// <summary>MAC mode.</summary>
    public MacMode Mac { get; init; }

    /// <summary>Fields set (values may hold variables).</summary>
    public IReadOnlyDictionary<int, string> Fields { get; init; } = new Dictionary<int, string>();

    /// <summary>Fields removed.</summary>
    public IReadOnlyList<int> Remove { get; init; } = [];

    /// <summary>The reversed case.</summary>
    public string? Reverses { get; init; }

    /// <summary>DE 95's actual amount.</summary>
    public long? PartialAmount { get; init; }

    /// <summary>The repeated case.</summary>
    public string? Repeats { get; init; }
}

/// <summary>How a field is checked.</summary>
public enum CheckKind
{
    /// <summary>Equal to the value (after variables).</summary>
    Equals,
    /// <summary>Matches the anchored regex (variables are escaped).</summary>
    Regex,
    /// <summary>Present.</summary>
    Present,
    /// <summary>Absent.</summary>
    Absent,
}

/// <summary>One field check.</summary>
public sealed record FieldCheck(int Field, CheckKind Kind, string? Value);

/// <summary>Expectations on the answer.</summary>
public sealed class AnswerExpectation
{
    /// <summary>MTI.</summary>
    public string? Mti { get; init; }

    /// <summary>Accepted DE 39 codes (any of them).</summary>
    public IReadOnlyList<string>? De39 { get; init; }

    /// <summary>Field checks.</summary>
    public IReadOnlyList<FieldCheck> Fields { get; init; } = [];

    /// <summary>Balance change against an earlier case.</summary>
    public BalanceDefinition? Balance { get; init; }

    /// <summary>valid or absent.</summary>
    public string? Mac { get; init; }

    /// <summary>Upper time bound.</summary>
    public int? MaxMs { get; init; }

    /// <summary>Lower time bound.</summary>
    public int? MinMs { get; init; }
}

/// <summary>A message the hosted issuer must have received.</summary>
public sealed class IssuerExpectation
{
    /// <summary>The MTI pattern as written.</summary>
    public required string MtiPattern { get; init; }

    /// <summary>The anchored MTI regex.</summary>
    public required Regex Mti { get; init; }

    /// <summary>Field checks on the masked message.</summary>
    public IReadOnlyList<FieldCheck> Fields { get; init; } = [];

    /// <summary>The PIN check's verdict.</summary>
    public string? PinCheck { get; init; }

    /// <summary>Wait after the answer.</summary>
    public int WithinMs { get; init; }

    /// <summary>At least this many.</summary>
    public int Count { get; init; } = 1;
}

/// <summary>The hosted issuer's state for a case.</summary>
public abstract record IssuerStep
{
    /// <summary>Stop listening (the switch's connector drops).</summary>
    public sealed record Down : IssuerStep;

    /// <summary>Listen again and wait for the switch's sign-on.</summary>
    public sealed record Up : IssuerStep;

    /// <summary>For this case only: a misbehaviour on the next requests and/or other rules.</summary>
    public sealed record Rules(string? Misbehave, int? Next, int? DelayMs, string? RulesJson) : IssuerStep;
}

/// <summary>One case, checked.</summary>
public sealed class CertCase
{
    /// <summary>Id.</summary>
    public required string Id { get; init; }

    /// <summary>Title.</summary>
    public required string Title { get; init; }

    /// <summary>The file it is in (relative to the suite folder).</summary>
    public required string File { get; init; }

    /// <summary>Terminal id.</summary>
    public required string Terminal { get; init; }

    /// <summary>Cases that must have passed: the explicit ones and every case referred to.</summary>
    public required IReadOnlyList<string> DependsOn { get; init; }

    /// <summary>The hosted issuer's state.</summary>
    public IssuerStep? Issuer { get; init; }

    /// <summary>The template.</summary>
    public required SendTemplate Send { get; init; }

    /// <summary>The answer's expectations.</summary>
    public required AnswerExpectation Expect { get; init; }

    /// <summary>The issuer's expectations.</summary>
    public IReadOnlyList<IssuerExpectation> ExpectIssuer { get; init; } = [];

    /// <summary>True when the case needs the issuer the runner hosts (--issuer-port).</summary>
    public bool NeedsIssuer { get; init; }
}
