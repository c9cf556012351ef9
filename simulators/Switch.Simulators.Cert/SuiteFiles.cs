using System.Text.Json;
using Switch.Simulators.Card;
using System.Text.Json.Serialization;

namespace Switch.Simulators.Cert;

// The suite files as written (docs/certification.md). Read strictly: unknown or duplicate keys, comments and trailing
// commas are errors; polymorphic values (a card letter or a profile, "down" or an object) stay JsonElement until
// SuiteLoader checks them with a positioned message.

/// <summary>suite.json: the suite's name and the defaults of its cases.</summary>
public sealed class SuiteFile
{
    /// <summary>Name (the folder's name by convention).</summary>
    public required string Name { get; init; }

    /// <summary>What the suite certifies.</summary>
    public string? Description { get; init; }

    /// <summary>Terminal of the cases that name none (a demo terminal).</summary>
    public string Terminal { get; init; } = "TERM0001";

    /// <summary>How long a terminal waits for each answer.</summary>
    public int AnswerTimeoutMs { get; init; } = 10_000;

    /// <summary>Wait after the hosted issuer goes down, so the switch sees its connector drop before the next request.</summary>
    public int IssuerSettleMs { get; init; } = 1_000;

    /// <summary>Wait for the switch to sign on to the hosted issuer (at the start and after "up").</summary>
    public int IssuerSignOnTimeoutMs { get; init; } = 30_000;

    /// <summary>The hosted issuer's base rules (the issuer simulator's rules file format).</summary>
    public JsonElement? IssuerRules { get; init; }
}

/// <summary>A case file: cases run in file order, files in ordinal name order.</summary>
public sealed class CaseFile
{
    /// <summary>The cases.</summary>
    public required List<CaseDefinition> Cases { get; init; }
}

/// <summary>One case as written.</summary>
public sealed class CaseDefinition
{
    /// <summary>Unique id in the suite (letters, digits, '-', '_').</summary>
    public required string Id { get; init; }

    /// <summary>What it checks, for people.</summary>
    public string? Title { get; init; }

    /// <summary>Cases that must have passed first.</summary>
    public List<string>? DependsOn { get; init; }

    /// <summary>Terminal (default the suite's).</summary>
    public string? Terminal { get; init; }

    /// <summary>The hosted issuer before sending: "down", "up", or {"misbehave", "next", "delayMs", "rules"}.</summary>
    public JsonElement? Issuer { get; init; }

    /// <summary>The message to send.</summary>
    public required SendDefinition Send { get; init; }

    /// <summary>Expectations on the answer.</summary>
    public ExpectDefinition? Expect { get; init; }

    /// <summary>Expectations on what the hosted issuer received.</summary>
    public List<IssuerExpectationDefinition>? ExpectIssuer { get; init; }
}

/// <summary>The message template.</summary>
public sealed class SendDefinition
{
    /// <summary>MTI (0200 for a card transaction, 0400 for a reversal, required otherwise).</summary>
    public string? Mti { get; init; }

    /// <summary>A demo card letter (A–F, R) or a card profile object.</summary>
    public JsonElement? Card { get; init; }

    /// <summary>DE 3's first two digits or all six (default 00).</summary>
    public string? ProcessingCode { get; init; }

    /// <summary>DE 4 in minor units.</summary>
    public long? Amount { get; init; }

    /// <summary>right (default), wrong, none, or the digits entered.</summary>
    public string? Pin { get; init; }

    /// <summary>right (default) or wrong (track 2's CVV changed).</summary>
    public string? Cvv { get; init; }

    /// <summary>auto (the terminal's profile), on, off, bad.</summary>
    public string? Mac { get; init; }

    /// <summary>Fields set or replaced (values may use ${…} variables).</summary>
    public Dictionary<string, string>? Fields { get; init; }

    /// <summary>Fields removed.</summary>
    public List<int>? Remove { get; init; }

    /// <summary>Reverse this earlier case's transaction (DE 90 from its request).</summary>
    public string? Reverses { get; init; }

    /// <summary>With reverses: a partial reversal, DE 95 = this actual amount.</summary>
    public long? PartialAmount { get; init; }

    /// <summary>Send this earlier case's request again, byte for byte (a duplicate).</summary>
    public string? Repeats { get; init; }
}

/// <summary>Expectations on the answer.</summary>
public sealed class ExpectDefinition
{
    /// <summary>The answer's MTI.</summary>
    public string? Mti { get; init; }

    /// <summary>DE 39: a code or a list of accepted codes.</summary>
    public JsonElement? De39 { get; init; }

    /// <summary>Per field: a string (equals) or {"equals"|"regex"|"present"|"absent"}.</summary>
    public Dictionary<string, JsonElement>? Fields { get; init; }

    /// <summary>DE 54's available balance compared with an earlier case's answer.</summary>
    public BalanceDefinition? Balance { get; init; }

    /// <summary>valid (the answer's MAC verifies) or absent (no DE 64/128).</summary>
    public string? Mac { get; init; }

    /// <summary>The answer within this time.</summary>
    public int? MaxMs { get; init; }

    /// <summary>The answer not before this time (a timeout was waited for).</summary>
    public int? MinMs { get; init; }
}

/// <summary>{"from": case, "change": minor}: this answer's available balance minus that case's.</summary>
public sealed class BalanceDefinition
{
    /// <summary>The earlier case (a balance inquiry).</summary>
    public required string From { get; init; }

    /// <summary>Expected difference in minor units (negative: debited).</summary>
    public required long Change { get; init; }
}

/// <summary>A message the hosted issuer must have received during the case (or within its time after the answer).</summary>
public sealed class IssuerExpectationDefinition
{
    /// <summary>MTI regex (anchored), e.g. "042[01]".</summary>
    public required string Mti { get; init; }

    /// <summary>Field checks on the received message (masked values: DE 2 is compared masked).</summary>
    public Dictionary<string, JsonElement>? Fields { get; init; }

    /// <summary>verified, wrong, undecipherable.</summary>
    public string? PinCheck { get; init; }

    /// <summary>How long after the answer to wait for it.</summary>
    public int WithinMs { get; init; } = 10_000;

    /// <summary>At least this many matching messages.</summary>
    public int Count { get; init; } = 1;
}

/// <summary>The strict JSON options of every suite file.</summary>
internal static class SuiteJson
{
    public static readonly JsonSerializerOptions Options = new(SimJson.Options) { RespectRequiredConstructorParameters = true };
}
