using System.Text.Json;
using System.Text.RegularExpressions;
using Switch.Common.IO;
using Switch.Core.MasterData;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Vocabulary;
using Switch.Simulators.Card;

namespace Switch.Simulators.Cert;

/// <summary>
/// Reads a suite folder (suite.json and its case files) and checks it whole before anything is sent: every error names
/// the file and either the line and column (JSON) or the case and property (meaning).
/// </summary>
public static partial class SuiteLoader
{
    /// <summary>Largest suite file read.</summary>
    public const int FileBytesMax = 1024 * 1024;

    /// <summary>Most case files in a suite.</summary>
    public const int FilesMax = 100;

    /// <summary>Most cases in a suite.</summary>
    public const int CasesMax = 2_000;

    /// <summary>Longest time bound a case may ask for.</summary>
    public const int WaitMsMax = 600_000;

    /// <summary>The folder of suites in the repository.</summary>
    public const string SuitesFolder = "specs/certification";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    private static readonly MessageSpec WireSpec = SimWire.Spec(SimWire.DefaultSpec);

    /// <summary>
    /// A suite's folder: <paramref name="nameOrPath"/> as a folder path, or a suite name under specs/certification/ found
    /// from the current directory or the executable's upwards.
    /// </summary>
    public static string Resolve(string nameOrPath)
    {
        if (Directory.Exists(nameOrPath)) return Path.GetFullPath(nameOrPath);
        if (!IdPattern().IsMatch(nameOrPath)) throw new SuiteException($"suite '{nameOrPath}': no such folder");
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, SuitesFolder, nameOrPath);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        throw new SuiteException($"suite '{nameOrPath}': not a folder, and no {SuitesFolder}/{nameOrPath} found from here");
    }

    /// <summary>The suites under a specs/certification folder (for `cert list`).</summary>
    public static IReadOnlyList<string> ListSuites()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string root = Path.Combine(dir.FullName, SuitesFolder);
                if (Directory.Exists(root))
                    return [.. Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "suite.json"))).Select(d => d).Order(StringComparer.Ordinal)];
            }
        }
        return [];
    }

    /// <summary>Loads and checks a suite folder.</summary>
    public static Suite Load(string folder)
    {
        string suitePath = Path.Combine(folder, "suite.json");
        if (!File.Exists(suitePath)) throw new SuiteException($"{suitePath}: missing (a suite folder holds suite.json and its case files)");
        var settings = Read<SuiteFile>(suitePath);
        CheckSettings(suitePath, settings);
        string? rulesJson = settings.IssuerRules is { } rules ? CheckRules(suitePath, "issuerRules", rules) : null;
        var files = Directory.GetFiles(folder, "*.json").Where(f => Path.GetFileName(f) != "suite.json").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new SuiteException($"{folder}: no case files (*.json besides suite.json)");
        if (files.Count > FilesMax) throw new SuiteException($"{folder}: more than {FilesMax} case files");
        var cases = new List<CertCase>();
        var seen = new Dictionary<string, CertCase>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            var caseFile = Read<CaseFile>(file);
            string name = Path.GetFileName(file);
            if (caseFile.Cases.Count == 0) throw new SuiteException($"{name}: cases: must not be empty");
            for (int i = 0; i < caseFile.Cases.Count; i++)
            {
                var definition = caseFile.Cases[i] ?? throw new SuiteException($"{name}: cases[{i}]: must be an object");
                var c = new CaseChecker(name, i, definition, settings, seen).Check();
                seen.Add(c.Id, c);
                cases.Add(c);
                if (cases.Count > CasesMax) throw new SuiteException($"{folder}: more than {CasesMax} cases");
            }
        }
        return new Suite { Name = settings.Name, Description = settings.Description, Folder = folder, Settings = settings, IssuerRulesJson = rulesJson, Cases = cases };
    }

    private static T Read<T>(string path) where T : class
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, FileBytesMax);
        }
        catch (BoundedFileException ex)
        {
            throw new SuiteException(ex.Message);
        }
        try
        {
            return JsonSerializer.Deserialize<T>(text, SuiteJson.Options) ?? throw new SuiteException($"{Path.GetFileName(path)}: must be a JSON object, not null");
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is long line ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "position unknown";
            string at = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" (at {ex.Path})";
            int tail = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal);
            string message = (tail > 0 ? ex.Message[..tail] : ex.Message).Trim();
            throw new SuiteException($"{Path.GetFileName(path)}: {where}{at}: {message}");
        }
    }

    private static void CheckSettings(string path, SuiteFile s)
    {
        string file = Path.GetFileName(path);
        if (!IdPattern().IsMatch(s.Name)) throw new SuiteException($"{file}: name: must be 1 to 64 letters, digits, '-' or '_'");
        CheckTerminal($"{file}: terminal", s.Terminal);
        if (s.AnswerTimeoutMs is < 100 or > 120_000) throw new SuiteException($"{file}: answerTimeoutMs: must be 100 to 120000");
        if (s.IssuerSettleMs is < 0 or > 60_000) throw new SuiteException($"{file}: issuerSettleMs: must be 0 to 60000");
        if (s.IssuerSignOnTimeoutMs is < 1_000 or > 300_000) throw new SuiteException($"{file}: issuerSignOnTimeoutMs: must be 1000 to 300000");
    }

    /// <summary>Checks a terminal id against the demo terminals (the runner needs their keys and merchant).</summary>
    internal static void CheckTerminal(string where, string terminal)
    {
        if (DemoDataSet.All.Terminals.All(t => t.TerminalId != terminal))
            throw new SuiteException($"{where}: '{terminal}' is not a demo terminal ({string.Join(", ", DemoDataSet.All.Terminals.Select(t => t.TerminalId))})");
    }

    internal static string CheckRules(string where, string property, JsonElement rules)
    {
        if (rules.ValueKind != JsonValueKind.Object) throw new SuiteException($"{where}: {property}: must be an object (the issuer simulator's rules)");
        string json = rules.GetRawText();
        try
        {
            IssuerRules.Parse(json, property);
        }
        catch (IssuerRulesException ex)
        {
            throw new SuiteException($"{where}: {ex.Message.Replace("rules file ", "", StringComparison.Ordinal)}");
        }
        return json;
    }

    /// <summary>True when the field number is in the wire spec.</summary>
    internal static bool KnownField(int field) => field is >= 2 and <= 128 && WireSpec[field] is not null;

    /// <summary>True when the spec marks the field as card data or a secret.</summary>
    internal static bool Sensitive(int field) => WireSpec[field]!.Sensitivity != Sensitivity.None;

    /// <summary>Checks one case; the messages say "file: case 'id': property: problem".</summary>
    private sealed class CaseChecker(string file, int index, CaseDefinition d, SuiteFile settings, IReadOnlyDictionary<string, CertCase> earlier)
    {
        private readonly List<string> _implied = [];
        private bool _needsIssuer;

        private string Where => IdPattern().IsMatch(d.Id ?? "") ? $"{file}: case '{d.Id}'" : $"{file}: cases[{index}]";

        private SuiteException Error(string property, string problem) => new($"{Where}: {property}: {problem}");

        public CertCase Check()
        {
            if (d.Id is null || !IdPattern().IsMatch(d.Id)) throw Error("id", "must be 1 to 64 letters, digits, '-' or '_'");
            if (earlier.ContainsKey(d.Id)) throw Error("id", "is already the id of an earlier case");
            string terminal = d.Terminal ?? settings.Terminal;
            CheckTerminal($"{Where}: terminal", terminal);
            foreach (string dep in d.DependsOn ?? []) RequireEarlier("dependsOn", dep);
            var issuer = d.Issuer is { } i ? Issuer(i) : null;
            var send = Send(d.Send ?? throw Error("send", "is required"), terminal);
            var expect = Expect(d.Expect);
            var expectIssuer = (d.ExpectIssuer ?? []).Select((e, n) => IssuerExpectation(e, $"expectIssuer[{n}]")).ToList();
            if (issuer is not null || expectIssuer.Count > 0) _needsIssuer = true;
            return new CertCase
            {
                Id = d.Id,
                Title = d.Title ?? d.Id,
                File = file,
                Terminal = terminal,
                DependsOn = [.. (d.DependsOn ?? []).Concat(_implied).Distinct(StringComparer.Ordinal)],
                Issuer = issuer,
                Send = send,
                Expect = expect,
                ExpectIssuer = expectIssuer,
                NeedsIssuer = _needsIssuer,
            };
        }

        private void RequireEarlier(string property, string id)
        {
            if (!earlier.ContainsKey(id)) throw Error(property, $"'{id}' is not an earlier case of the suite (cases run in order)");
        }

        private void Refer(string property, string id)
        {
            RequireEarlier(property, id);
            _implied.Add(id);
        }

        private IssuerStep Issuer(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                return e.GetString() switch
                {
                    "down" => new IssuerStep.Down(),
                    "up" => new IssuerStep.Up(),
                    _ => throw Error("issuer", "must be \"down\", \"up\" or an object {misbehave, next, delayMs, rules}"),
                };
            }
            if (e.ValueKind != JsonValueKind.Object) throw Error("issuer", "must be \"down\", \"up\" or an object {misbehave, next, delayMs, rules}");
            string? misbehave = null;
            int? next = null, delay = null;
            string? rules = null;
            foreach (var p in e.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "misbehave":
                        misbehave = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : throw Error("issuer.misbehave", "must be a string");
                        if (Switch.Simulators.Card.IssuerRules.ParseAction(misbehave) is null)
                            throw Error("issuer.misbehave", $"'{misbehave}' is not one of delay, drop, disconnect, malformed, bad-bitmap, late");
                        break;
                    case "next":
                        next = p.Value.TryGetInt32(out int n) && n is >= 1 and <= 1000 ? n : throw Error("issuer.next", "must be 1 to 1000");
                        break;
                    case "delayMs":
                        delay = p.Value.TryGetInt32(out int ms) && ms is >= 0 and <= Switch.Simulators.Card.IssuerRules.DelayMsMax ? ms : throw Error("issuer.delayMs", $"must be 0 to {Switch.Simulators.Card.IssuerRules.DelayMsMax}");
                        break;
                    case "rules":
                        rules = CheckRules(Where, "issuer.rules", p.Value);
                        break;
                    default:
                        throw Error($"issuer.{p.Name}", "unknown property (misbehave, next, delayMs, rules)");
                }
            }
            if (misbehave is null && rules is null) throw Error("issuer", "needs misbehave or rules");
            if (misbehave is null && (next is not null || delay is not null)) throw Error("issuer", "next and delayMs need misbehave");
            return new IssuerStep.Rules(misbehave, next, delay, rules);
        }

        private SendTemplate Send(SendDefinition s, string terminal)
        {
            int kinds = (s.Card is not null ? 1 : 0) + (s.Reverses is not null ? 1 : 0) + (s.Repeats is not null ? 1 : 0);
            if (kinds > 1) throw Error("send", "card, reverses and repeats exclude each other");
            var fields = Fields(s.Fields);
            var remove = Remove(s.Remove);
            var mac = s.Mac switch
            {
                null or "auto" => MacMode.Auto,
                "on" => MacMode.On,
                "off" => MacMode.Off,
                "bad" => MacMode.Bad,
                _ => throw Error("send.mac", "must be auto, on, off or bad"),
            };
            var demo = DemoDataSet.All.Terminals.First(t => t.TerminalId == terminal);
            if (mac is MacMode.On or MacMode.Bad && demo.TakRef is null) throw Error("send.mac", $"terminal {terminal} has no MAC key");
            if (s.Repeats is { } repeats)
            {
                Refer("send.repeats", repeats);
                if (earlier[repeats].Terminal != terminal) throw Error("send.repeats", $"'{repeats}' ran on terminal {earlier[repeats].Terminal}: a repeat comes from the same terminal");
                OnlyKind(s, "repeats", "mti", "processingCode", "amount", "pin", "cvv", "mac", "fields", "remove", "partialAmount");
                return new SendTemplate { Kind = SendKind.Repeat, Mti = earlier[repeats].Send.Mti, Repeats = repeats };
            }
            if (s.Reverses is { } reverses)
            {
                Refer("send.reverses", reverses);
                var original = earlier[reverses];
                if (original.Send.Kind != SendKind.Card) throw Error("send.reverses", $"'{reverses}' is not a card transaction");
                if (original.Terminal != terminal) throw Error("send.reverses", $"'{reverses}' ran on terminal {original.Terminal}: a reversal comes from the same terminal");
                OnlyKind(s, "reverses", "processingCode", "amount", "pin", "cvv", "mac", "fields", "remove");
                string mti = s.Mti ?? "0400";
                if (mti is not ("0400" or "0401" or "0420" or "0421")) throw Error("send.mti", "a reversal is 0400, 0401, 0420 or 0421");
                if (s.PartialAmount is < 0 or > 999_999_999_999) throw Error("send.partialAmount", "must be 0 to 999999999999");
                return new SendTemplate { Kind = SendKind.Reversal, Mti = mti, Reverses = reverses, PartialAmount = s.PartialAmount };
            }
            if (s.PartialAmount is not null) throw Error("send.partialAmount", "needs reverses");
            if (s.Card is { } card) return CardTemplate(s, card, fields, remove, mac);
            if (s.Mti is null || !Mti.IsWellFormed(s.Mti)) throw Error("send.mti", "a message without a card needs a 4-digit MTI");
            OnlyKind(s, "a message without a card", "processingCode", "amount", "pin", "cvv");
            return new SendTemplate { Kind = SendKind.Message, Mti = s.Mti, Fields = fields, Remove = remove, Mac = mac == MacMode.Auto ? MacMode.Off : mac };
        }

        /// <summary>Refuses properties that mean nothing for this kind of template.</summary>
        private void OnlyKind(SendDefinition s, string kind, params string[] notAllowed)
        {
            var given = new Dictionary<string, object?>
            {
                ["mti"] = s.Mti, ["card"] = s.Card, ["processingCode"] = s.ProcessingCode, ["amount"] = s.Amount, ["pin"] = s.Pin, ["cvv"] = s.Cvv,
                ["mac"] = s.Mac, ["fields"] = s.Fields, ["remove"] = s.Remove, ["partialAmount"] = s.PartialAmount,
            };
            foreach (string name in notAllowed)
            {
                if (given[name] is not null) throw Error($"send.{name}", $"does not apply with {kind}");
            }
        }

        private SendTemplate CardTemplate(SendDefinition s, JsonElement card, Dictionary<int, string> fields, List<int> remove, MacMode mac)
        {
            var profile = Card(card);
            string mtiValue = s.Mti ?? "0200";
            if (!Mti.IsWellFormed(mtiValue) || !Mti.ExpectsResponse(mtiValue)) throw Error("send.mti", $"'{mtiValue}' is not a request MTI that expects an answer");
            string pc = s.ProcessingCode ?? "00";
            if (pc.Length is not (2 or 6) || !pc.All(char.IsAsciiDigit)) throw Error("send.processingCode", "must be 2 or 6 digits");
            if (s.Amount is < 0 or > 999_999_999_999) throw Error("send.amount", "must be 0 to 999999999999 minor units");
            string pin = s.Pin ?? "right";
            if (pin is not ("right" or "wrong" or "none") && (pin.Length is < 4 or > 12 || !pin.All(char.IsAsciiDigit)))
                throw Error("send.pin", "must be right, wrong, none or 4 to 12 digits");
            if (pin is "right" or "wrong" && profile.Pin is null) throw Error("send.pin", "the card has no PIN: say none or give the digits");
            bool wrongCvv = s.Cvv switch
            {
                null or "right" => false,
                "wrong" => true,
                _ => throw Error("send.cvv", "must be right or wrong"),
            };
            return new SendTemplate
            {
                Kind = SendKind.Card, Mti = mtiValue, Card = profile, ProcessingCode = pc, Amount = s.Amount ?? 0, Pin = pin, WrongCvv = wrongCvv, Mac = mac,
                Fields = fields, Remove = remove,
            };
        }

        private CardProfile Card(JsonElement card)
        {
            if (card.ValueKind == JsonValueKind.String)
            {
                string letter = card.GetString()!;
                if (letter.Length != 1 || !"ABCDEFR".Contains(letter[0], StringComparison.Ordinal)) throw Error("send.card", "a demo card is A-F or R (or a card profile object)");
                if (letter == "R") _needsIssuer = true;
                return CardProfile.Demo(letter[0]);
            }
            if (card.ValueKind != JsonValueKind.Object) throw Error("send.card", "must be a demo card letter or a card profile object {pan, expiry, serviceCode, track2?, pin?}");
            CardProfile? profile;
            try
            {
                profile = card.Deserialize<CardProfile>(SuiteJson.Options);
            }
            catch (JsonException ex)
            {
                int tail = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal);
                throw Error("send.card", tail > 0 ? ex.Message[..tail] : ex.Message);
            }
            if (profile is null) throw Error("send.card", "must be an object");
            if (profile.Pan.Length is < 12 or > 19 || !profile.Pan.All(char.IsAsciiDigit)) throw Error("send.card.pan", "must be 12 to 19 digits");
            if (profile.Expiry.Length != 4 || !profile.Expiry.All(char.IsAsciiDigit)) throw Error("send.card.expiry", "must be YYMM");
            if (profile.ServiceCode.Length != 3 || !profile.ServiceCode.All(char.IsAsciiDigit)) throw Error("send.card.serviceCode", "must be 3 digits");
            if (profile.Pin is { } p && (p.Length is < 4 or > 12 || !p.All(char.IsAsciiDigit))) throw Error("send.card.pin", "must be 4 to 12 digits");
            if (profile.Track2 is { } t && (t.Length > 37 || !t.StartsWith(profile.Pan + "=", StringComparison.Ordinal))) throw Error("send.card.track2", "must be the PAN, '=', then digits (at most 37)");
            if (profile.Pan.StartsWith("541333", StringComparison.Ordinal)) _needsIssuer = true;
            return profile;
        }

        private Dictionary<int, string> Fields(Dictionary<string, string>? fields)
        {
            var result = new Dictionary<int, string>();
            foreach (var (key, value) in fields ?? [])
            {
                int field = FieldNumber($"send.fields.{key}", key);
                if (field is 52 or 64 or 128) throw Error($"send.fields.{key}", "the PIN block and the MAC are set by pin and mac");
                if (value is null) throw Error($"send.fields.{key}", "must be a string");
                CheckReferences($"send.fields.{key}", value);
                result[field] = value;
            }
            return result;
        }

        private List<int> Remove(List<int>? remove)
        {
            foreach (int f in remove ?? [])
            {
                if (!KnownField(f)) throw Error("send.remove", $"{f} is not a field of {SimWire.DefaultSpec}");
            }
            return remove ?? [];
        }

        private int FieldNumber(string property, string key)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int field) || !KnownField(field))
                throw Error(property, $"'{key}' is not a field number of {SimWire.DefaultSpec}");
            return field;
        }

        /// <summary>Checks ${…} references: to earlier cases (implied dependencies), or in expectations to the case itself.</summary>
        private void CheckReferences(string property, string text, bool allowSelf = false)
        {
            IReadOnlyList<Variables.Reference> refs;
            try
            {
                refs = Variables.Parse(text);
            }
            catch (ArgumentException ex)
            {
                throw Error(property, ex.Message);
            }
            foreach (var r in refs)
            {
                if (!(allowSelf && r.Case == d.Id)) Refer(property, r.Case);
                if (!KnownField(r.Field)) throw Error(property, $"{r.Text}: {r.Field} is not a field of {SimWire.DefaultSpec}");
                if (Sensitive(r.Field)) throw Error(property, $"{r.Text}: field {r.Field} is card data or a secret and cannot be referred to");
                if (r.Source == "issuer") _needsIssuer = true;
            }
        }

        private AnswerExpectation Expect(ExpectDefinition? e)
        {
            if (e is null) return new AnswerExpectation();
            if (e.Mti is { } mti && !Mti.IsWellFormed(mti)) throw Error("expect.mti", "must be 4 digits");
            IReadOnlyList<string>? de39 = e.De39 is { } codes ? Codes(codes) : null;
            if (e.Balance is { } b) Refer("expect.balance.from", b.From);
            if (e.Mac is not (null or "valid" or "absent")) throw Error("expect.mac", "must be valid or absent");
            if (e.MaxMs is < 1 or > WaitMsMax) throw Error("expect.maxMs", $"must be 1 to {WaitMsMax}");
            if (e.MinMs is < 0 or > WaitMsMax) throw Error("expect.minMs", $"must be 0 to {WaitMsMax}");
            return new AnswerExpectation { Mti = e.Mti, De39 = de39, Fields = Checks("expect.fields", e.Fields), Balance = e.Balance, Mac = e.Mac, MaxMs = e.MaxMs, MinMs = e.MinMs };
        }

        private List<string> Codes(JsonElement codes)
        {
            var list = codes.ValueKind switch
            {
                JsonValueKind.String => [codes.GetString()!],
                JsonValueKind.Array => codes.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString()! : throw Error("expect.de39", "must be a code or a list of codes")).ToList(),
                _ => throw Error("expect.de39", "must be a code or a list of codes"),
            };
            if (list.Count == 0) throw Error("expect.de39", "must not be an empty list");
            foreach (string c in list)
            {
                if (c.Length != 2 || !c.All(char.IsAsciiLetterOrDigit)) throw Error("expect.de39", $"'{c}' is not a two-character response code");
            }
            return list;
        }

        private List<FieldCheck> Checks(string property, Dictionary<string, JsonElement>? fields)
        {
            var checks = new List<FieldCheck>();
            foreach (var (key, value) in fields ?? [])
            {
                string where = $"{property}.{key}";
                int field = FieldNumber(where, key);
                checks.Add(Check(where, field, value));
            }
            return checks;
        }

        private FieldCheck Check(string where, int field, JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                CheckReferences(where, value.GetString()!, allowSelf: true);
                return new FieldCheck(field, CheckKind.Equals, value.GetString());
            }
            if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Count() != 1)
                throw Error(where, "must be a string (equals) or an object with one of equals, regex, present, absent");
            var p = value.EnumerateObject().First();
            switch (p.Name)
            {
                case "equals" or "regex" when p.Value.ValueKind == JsonValueKind.String:
                    string text = p.Value.GetString()!;
                    CheckReferences($"{where}.{p.Name}", text, allowSelf: true);
                    if (p.Name == "regex") CheckRegex($"{where}.regex", text);
                    return new FieldCheck(field, p.Name == "equals" ? CheckKind.Equals : CheckKind.Regex, text);
                case "present" or "absent" when p.Value.ValueKind == JsonValueKind.True:
                    return new FieldCheck(field, p.Name == "present" ? CheckKind.Present : CheckKind.Absent, null);
                default:
                    throw Error($"{where}.{p.Name}", "equals and regex take a string; present and absent take true");
            }
        }

        private void CheckRegex(string where, string pattern)
        {
            try
            {
                _ = new Regex(Variables.Substitute(pattern, _ => "0", forRegex: true), RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                throw Error(where, $"not a regular expression: {ex.Message}");
            }
        }

        private IssuerExpectation IssuerExpectation(IssuerExpectationDefinition e, string where)
        {
            if (e is null) throw Error(where, "must be an object");
            CheckRegex($"{where}.mti", e.Mti);
            if (e.PinCheck is not (null or "verified" or "wrong" or "undecipherable")) throw Error($"{where}.pinCheck", "must be verified, wrong or undecipherable");
            if (e.WithinMs is < 0 or > WaitMsMax) throw Error($"{where}.withinMs", $"must be 0 to {WaitMsMax}");
            if (e.Count is < 1 or > 1000) throw Error($"{where}.count", "must be 1 to 1000");
            return new IssuerExpectation
            {
                MtiPattern = e.Mti,
                Mti = new Regex($"^(?:{e.Mti})$", RegexOptions.None, TimeSpan.FromSeconds(1)),
                Fields = Checks($"{where}.fields", e.Fields),
                PinCheck = e.PinCheck,
                WithinMs = e.WithinMs,
                Count = e.Count,
            };
        }
    }
}
