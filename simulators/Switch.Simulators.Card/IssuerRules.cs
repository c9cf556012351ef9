using System.Text.Json;
using System.Text.Json.Serialization;
using Switch.Common.IO;
using Switch.Core.MasterData;
using Switch.Iso8583.Vocabulary;

namespace Switch.Simulators.Card;

/// <summary>What the issuer simulator does with a request it is told to misbehave on.</summary>
public enum Misbehaviour
{
    /// <summary>Answers normally.</summary>
    None,
    /// <summary>Answers after <see cref="MisbehaviourRule.DelayMs"/>.</summary>
    Delay,
    /// <summary>Never answers.</summary>
    Drop,
    /// <summary>Closes the connection after reading the request.</summary>
    Disconnect,
    /// <summary>Answers with a frame of garbage bytes that is no ISO 8583 message.</summary>
    Malformed,
    /// <summary>Answers with a message whose bitmap claims fields that are not there.</summary>
    BadBitmap,
    /// <summary>Answers after <see cref="MisbehaviourRule.DelayMs"/> (default 3,000 ms: past the switch's 2 s issuer timeout).</summary>
    Late,
}

/// <summary>Which requests a rule applies to; every condition given must hold (none given: every authorization or financial request).</summary>
public class RequestMatch
{
    /// <summary>MTI, e.g. "0200".</summary>
    public string? Mti { get; set; }

    /// <summary>Processing code (DE 3), 2 digits (transaction type) or 6.</summary>
    public string? ProcessingCode { get; set; }

    /// <summary>Exact amount (DE 4) in minor units.</summary>
    public long? AmountMinor { get; set; }

    /// <summary>The amount's digits end with these (e.g. "99" matches 1099 and 99).</summary>
    public string? AmountEndsWith { get; set; }

    /// <summary>True when the request's MTI, processing code and amount satisfy every condition set.</summary>
    public bool Matches(string? mti, string? processingCode, long? amountMinor)
    {
        if (Mti is not null && Mti != mti) return false;
        if (ProcessingCode is not null && (processingCode is null || !processingCode.StartsWith(ProcessingCode, StringComparison.Ordinal))) return false;
        if (AmountMinor is not null && AmountMinor != amountMinor) return false;
        if (AmountEndsWith is not null && (amountMinor is null || !amountMinor.Value.ToString().EndsWith(AmountEndsWith, StringComparison.Ordinal))) return false;
        return true;
    }

    /// <summary>Checks the conditions' forms; throws <see cref="IssuerRulesException"/> naming the path.</summary>
    internal void Validate(string path)
    {
        if (Mti is not null && !Switch.Iso8583.Vocabulary.Mti.IsWellFormed(Mti)) throw new IssuerRulesException($"{path}.mti: must be 4 digits");
        if (ProcessingCode is not null && (ProcessingCode.Length is not (2 or 6) || !IsDigits(ProcessingCode)))
            throw new IssuerRulesException($"{path}.processingCode: must be 2 or 6 digits");
        if (AmountMinor is < 0) throw new IssuerRulesException($"{path}.amountMinor: must not be negative");
        if (AmountEndsWith is not null && (AmountEndsWith.Length is < 1 or > 12 || !IsDigits(AmountEndsWith)))
            throw new IssuerRulesException($"{path}.amountEndsWith: must be 1 to 12 digits");
    }

    internal static bool IsDigits(string s) => s.Length > 0 && !s.AsSpan().ContainsAnyExceptInRange('0', '9');
}

/// <summary>A row of the response-code table: requests it matches get <see cref="Code"/>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ResponseCodeRule : RequestMatch
{
    /// <summary>The DE 39 to answer.</summary>
    public string Code { get; set; } = "";
}

/// <summary>A misbehaviour for the requests it matches, optionally only the next N of them.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class MisbehaviourRule : RequestMatch
{
    /// <summary>delay | drop | disconnect | malformed | bad-bitmap | late.</summary>
    public string Action { get; set; } = "";

    /// <summary>Delay before the answer (delay, late); late defaults to 3,000 ms.</summary>
    public int? DelayMs { get; set; }

    /// <summary>Apply to the next N matching requests only (null: to all of them).</summary>
    public int? Next { get; set; }

    /// <summary>Also match network management (0800) and advices or reversals (0120/0220/0420); default only 0100/0200.</summary>
    public bool AnyMessage { get; set; }

    /// <summary>The parsed action.</summary>
    [JsonIgnore]
    public Misbehaviour Kind => IssuerRules.ParseAction(Action) ?? Misbehaviour.None;

    /// <summary>The delay this rule applies.</summary>
    [JsonIgnore]
    public int EffectiveDelayMs => DelayMs ?? (Kind == Misbehaviour.Late ? IssuerRules.LateDefaultMs : 0);
}

/// <summary>A rules file or an option that cannot be used; the message names the file, the position or the key.</summary>
public sealed class IssuerRulesException(string message) : Exception(message);

/// <summary>
/// How the issuer simulator answers (docs/simulators.md): PIN check under its ZPK, PAN lists, the response-code table,
/// the amount threshold, a seeded random decline rate, and misbehaviours. Loaded from a strict JSON rules file or built
/// from options.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class IssuerRules
{
    /// <summary>Largest rules file read.</summary>
    public const int FileBytesMax = 1024 * 1024;

    /// <summary>Default delay of a late reply: past the switch's 2 s issuer timeout.</summary>
    public const int LateDefaultMs = 3000;

    /// <summary>Longest delay accepted.</summary>
    public const int DelayMsMax = 120_000;

    /// <summary>Entries accepted in each list.</summary>
    public const int EntriesMax = 10_000;

    /// <summary>The ZPK PIN blocks arrive under: a demo key name or clear hex (default: the demo issuer ZPK).</summary>
    public string? Zpk { get; set; }

    /// <summary>Check DE 52 when present (default true).</summary>
    public bool VerifyPin { get; set; } = true;

    /// <summary>Expected PIN per PAN, on top of the default (the demo remote card's PIN); a PAN not listed accepts any well-formed PIN block.</summary>
    public Dictionary<string, string>? Pins { get; set; }

    /// <summary>Approve up to this amount (minor units); above it answer <see cref="AboveLimitCode"/>. Null: no threshold.</summary>
    public long? ApproveUpToMinor { get; set; }

    /// <summary>DE 39 above the threshold: 51 (default) or 61.</summary>
    public string AboveLimitCode { get; set; } = ResponseCode.InsufficientFunds;

    /// <summary>PANs declined with 05.</summary>
    public List<string>? DeclinePans { get; set; }

    /// <summary>PANs answered 41 (lost card).</summary>
    public List<string>? LostPans { get; set; }

    /// <summary>The response-code table: the first row that matches gives DE 39.</summary>
    public List<ResponseCodeRule>? ResponseCodes { get; set; }

    /// <summary>Fraction (0–1) of otherwise approved requests declined with <see cref="DeclineCode"/>.</summary>
    public double DeclineRate { get; set; }

    /// <summary>DE 39 of a random decline (default 05).</summary>
    public string DeclineCode { get; set; } = ResponseCode.DoNotHonour;

    /// <summary>Seed of the random decisions (decline rate, drop rate); null: a random seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Available balance shown in DE 54 of an approved balance inquiry (processing code 31).</summary>
    public long BalanceMinor { get; set; } = 100_000;

    /// <summary>Delay every answer by this much.</summary>
    public int DelayMs { get; set; }

    /// <summary>Fraction (0–1) of requests (0100/0200) not answered at all.</summary>
    public double DropRate { get; set; }

    /// <summary>The cards' IMK-AC (demo key name or clear hex): when set, a DE 55's ARQC is verified and a wrong one answered <see cref="ArqcFailCode"/>.</summary>
    public string? EmvImk { get; set; }

    /// <summary>ARQC method: emv-csk (default), visa-cvn10, visa-cvn18.</summary>
    public string EmvScheme { get; set; } = "emv-csk";

    /// <summary>DE 39 for a wrong or unreadable ARQC (default 05).</summary>
    public string ArqcFailCode { get; set; } = ResponseCode.DoNotHonour;

    /// <summary>Misbehaviours; the first that matches (and has uses left) applies.</summary>
    public List<MisbehaviourRule>? Misbehaviours { get; set; }

    /// <summary>The expected PIN per PAN with the demo remote card's included.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, string> ExpectedPins
    {
        get
        {
            var pins = new Dictionary<string, string>(StringComparer.Ordinal) { [DemoDataSet.All.RemoteCard.Pan] = DemoDataSet.All.RemoteCard.Pin };
            if (Pins is not null) foreach (var (pan, pin) in Pins) pins[pan] = pin;
            return pins;
        }
    }

    /// <summary>The action names of the rules file.</summary>
    public static Misbehaviour? ParseAction(string? action) => action switch
    {
        "none" => Misbehaviour.None,
        "delay" => Misbehaviour.Delay,
        "drop" => Misbehaviour.Drop,
        "disconnect" => Misbehaviour.Disconnect,
        "malformed" => Misbehaviour.Malformed,
        "bad-bitmap" => Misbehaviour.BadBitmap,
        "late" => Misbehaviour.Late,
        _ => null,
    };

    /// <summary>Reads a rules file (bounded, regular files only, strict JSON); errors name the file and the line and column or key.</summary>
    public static IssuerRules Load(string path)
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, FileBytesMax);
        }
        catch (BoundedFileException ex)
        {
            throw new IssuerRulesException($"rules file {ex.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses rules JSON; <paramref name="source"/> names it in errors.</summary>
    public static IssuerRules Parse(string json, string source)
    {
        IssuerRules? rules;
        try
        {
            rules = JsonSerializer.Deserialize<IssuerRules>(json, SimJson.Options);
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is long line ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "position unknown";
            string path = string.IsNullOrEmpty(ex.Path) ? "" : $" (at {ex.Path})";
            throw new IssuerRulesException($"rules file {source}: {where}{path}: {FirstSentence(ex.Message)}");
        }
        if (rules is null) throw new IssuerRulesException($"rules file {source}: must be a JSON object, not null");
        try
        {
            rules.Validate();
        }
        catch (IssuerRulesException ex)
        {
            throw new IssuerRulesException($"rules file {source}: {ex.Message}");
        }
        return rules;
    }

    /// <summary>System.Text.Json's message without its own "Path: … | LineNumber: …" tail (the position is given already).</summary>
    private static string FirstSentence(string message)
    {
        int tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (tail > 0 ? message[..tail] : message).Trim();
    }

    /// <summary>Checks every value; throws <see cref="IssuerRulesException"/> naming the key.</summary>
    public void Validate()
    {
        if (Zpk is not null)
        {
            try
            {
                DemoKeys.ClearHex(Zpk, "zpk");
            }
            catch (ArgumentException ex)
            {
                throw new IssuerRulesException(ex.Message);
            }
        }
        CheckCode("aboveLimitCode", AboveLimitCode);
        CheckCode("arqcFailCode", ArqcFailCode);
        if (EmvScheme is not ("emv-csk" or "visa-cvn10" or "visa-cvn18")) throw new IssuerRulesException($"emvScheme: '{EmvScheme}' is not one of emv-csk, visa-cvn10, visa-cvn18");
        if (EmvImk is not null)
        {
            try
            {
                DemoKeys.ClearHex(EmvImk, "emvImk");
            }
            catch (ArgumentException ex)
            {
                throw new IssuerRulesException(ex.Message);
            }
        }
        CheckCode("declineCode", DeclineCode);
        if (ApproveUpToMinor is < 0) throw new IssuerRulesException("approveUpToMinor: must not be negative");
        if (DeclineRate is < 0 or > 1 || double.IsNaN(DeclineRate)) throw new IssuerRulesException("declineRate: must be between 0 and 1");
        if (DropRate is < 0 or > 1 || double.IsNaN(DropRate)) throw new IssuerRulesException("dropRate: must be between 0 and 1");
        if (DelayMs is < 0 or > DelayMsMax) throw new IssuerRulesException($"delayMs: must be 0 to {DelayMsMax}");
        if (BalanceMinor is < 0 or > 999_999_999_999) throw new IssuerRulesException("balanceMinor: must be 0 to 999999999999");
        CheckPans("declinePans", DeclinePans);
        CheckPans("lostPans", LostPans);
        CheckPins();
        CheckList("responseCodes", ResponseCodes, (rule, path) =>
        {
            rule.Validate(path);
            CheckCode($"{path}.code", rule.Code);
        });
        CheckList("misbehaviours", Misbehaviours, (rule, path) =>
        {
            rule.Validate(path);
            if (ParseAction(rule.Action) is null)
                throw new IssuerRulesException($"{path}.action: '{rule.Action}' is not one of none, delay, drop, disconnect, malformed, bad-bitmap, late");
            if (rule.DelayMs is < 0 or > DelayMsMax) throw new IssuerRulesException($"{path}.delayMs: must be 0 to {DelayMsMax}");
            if (rule.Next is < 1) throw new IssuerRulesException($"{path}.next: must be at least 1");
        });
    }

    private static readonly System.Buffers.SearchValues<char> CodeChars = System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");

    private static void CheckCode(string key, string? code)
    {
        if (code is null || code.Length != 2 || code.AsSpan().ContainsAnyExcept(CodeChars))
            throw new IssuerRulesException($"{key}: '{code}' is not a two-character response code");
    }

    private static void CheckPans(string key, List<string>? pans)
    {
        CheckList(key, pans, (pan, path) =>
        {
            if (pan.Length is < 12 or > 19 || !RequestMatch.IsDigits(pan)) throw new IssuerRulesException($"{path}: a PAN is 12 to 19 digits");
        });
    }

    private void CheckPins()
    {
        if (Pins is null) return;
        if (Pins.Count > EntriesMax) throw new IssuerRulesException($"pins: at most {EntriesMax} entries");
        foreach (var (pan, pin) in Pins)
        {
            // The PAN is the key of the entry: say which one masked.
            string masked = Switch.Common.Masking.PanMask.Mask(pan);
            if (pan.Length is < 12 or > 19 || !RequestMatch.IsDigits(pan)) throw new IssuerRulesException($"pins.{masked}: a PAN is 12 to 19 digits");
            if (pin is null || pin.Length is < 4 or > 12 || !RequestMatch.IsDigits(pin)) throw new IssuerRulesException($"pins.{masked}: a PIN is 4 to 12 digits");
        }
    }

    private static void CheckList<T>(string key, List<T>? list, Action<T, string> check)
    {
        if (list is null) return;
        if (list.Count > EntriesMax) throw new IssuerRulesException($"{key}: at most {EntriesMax} entries");
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is null) throw new IssuerRulesException($"{key}[{i}]: must not be null");
            check(list[i], $"{key}[{i}]");
        }
    }
}
