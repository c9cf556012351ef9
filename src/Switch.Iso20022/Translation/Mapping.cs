using System.Globalization;
using Switch.Iso8583.Message;

namespace Switch.Iso20022.Translation;

/// <summary>ISO 20022 values keyed by path, as the translation builds them.</summary>
internal sealed class Values : Dictionary<string, string>
{
    public Values() : base(StringComparer.Ordinal) { }

    /// <summary>Sets a value; null or empty leaves the path as it is.</summary>
    public void Put(string path, string? value)
    {
        if (!string.IsNullOrEmpty(value)) this[path] = value;
    }

    /// <summary>Sets one branch of a choice, dropping the other branches.</summary>
    public void PutChoice(string path, string? value, params string[] others)
    {
        if (string.IsNullOrEmpty(value)) return;
        foreach (string other in others) Remove(other);
        this[path] = value;
    }

    public string? Get(string path) => TryGetValue(path, out string? v) ? v : null;
}

/// <summary>One ISO 20022 message ⇄ one ISO 8583 message class (see docs/iso20022-mapping.md for the tables).</summary>
internal abstract class Mapping
{
    /// <summary>Message family and number, "pacs.008".</summary>
    public abstract string Type { get; }

    /// <summary>The version written when the ISO 8583 side does not name one.</summary>
    public abstract string DefaultName { get; }

    /// <summary>The message root under Document.</summary>
    public abstract string Root { get; }

    /// <summary>The ISO 8583 MTI this message becomes.</summary>
    public abstract string Mti { get; }

    /// <summary>The message's paths in schema order (what the writer can write).</summary>
    public abstract IReadOnlyList<string> Template { get; }

    /// <summary>Elements without an ISO 8583 field, carried in the DE 48 TLV.</summary>
    public abstract IReadOnlyList<(string Tag, string Path)> Carried { get; }

    /// <summary>Where unmapped ISO 8583 fields travel inside the ISO 20022 message (a lax extension point).</summary>
    public abstract string ExtensionPath { get; }

    /// <summary>A path present once per transaction, to refuse a second transaction; null for single-transaction messages.</summary>
    public virtual string? TransactionPath => null;

    /// <summary>ISO 20022 values → the mapped ISO 8583 fields.</summary>
    public abstract void ToIso8583(Func<string, string?> get, IsoMessage message);

    /// <summary>Values ISO 8583 cannot give, derived or conventional ("NOTPROVIDED"); the DE 48 TLV overrides them.</summary>
    public abstract void Defaults(IsoMessage message, Values values);

    /// <summary>
    /// The mapped ISO 8583 fields → ISO 20022 values, applied last (the fields are authoritative). <paramref name="probe"/>
    /// is what the values so far translate back to: a field that already agrees is left as the TLV gave it.
    /// </summary>
    public abstract void FromIso8583(IsoMessage message, IsoMessage probe, Values values);

    /// <summary>The path the extension's fields are read back from.</summary>
    public string ExtensionFieldsPath => ExtensionPath + "/Iso8583/Fld";
}

/// <summary>Value conversions shared by the mappings.</summary>
internal static class Convert8583
{
    public const string NotProvided = "NOTPROVIDED";

    /// <summary>Amount text of a currency → DE 4 minor units, 12 digits.</summary>
    public static string ToMinorUnits(string amount, int decimals, string element)
    {
        if (!decimal.TryParse(amount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
            throw new Iso20022TranslationException($"amount '{amount}' of '{element}' is not a decimal number.");
        decimal minor = value * Pow10(decimals);
        if (minor != decimal.Truncate(minor)) throw new Iso20022TranslationException($"amount {amount} of '{element}' has more decimals than its currency allows.");
        if (minor >= 1_000_000_000_000m) throw new Iso20022TranslationException($"amount {amount} of '{element}' does not fit the 12 digits of DE 4.");
        return ((long)minor).ToString("D12", CultureInfo.InvariantCulture);
    }

    /// <summary>DE 4 minor units → amount text with the currency's decimals ("000000125000", 2 → "1250.00").</summary>
    public static string FromMinorUnits(string de4, int decimals)
    {
        if (!long.TryParse(de4, NumberStyles.None, CultureInfo.InvariantCulture, out long minor)) throw new Iso20022TranslationException($"DE 4 '{de4}' is not an amount in digits.");
        decimal value = minor / Pow10(decimals);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static decimal Pow10(int n)
    {
        decimal p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }

    /// <summary>ISO 8583 currency (numeric, DE 49) → ISO 4217 alpha.</summary>
    public static Iso4217.Currency CurrencyOfDe49(string? de49)
    {
        if (de49 is null) throw new Iso20022TranslationException("DE 49 (currency) is required to translate the amount.");
        return Iso4217.FromNumeric(de49) ?? Iso4217.FromAlpha(de49)
            ?? throw new Iso20022TranslationException($"DE 49 '{de49}' is not an ISO 4217 currency.");
    }

    /// <summary>An ISO 4217 alpha code → the currency, or a translation error naming the element.</summary>
    public static Iso4217.Currency CurrencyOfAlpha(string? alpha, string element) =>
        Iso4217.FromAlpha(alpha) ?? throw new Iso20022TranslationException($"'{element}' has no ISO 4217 currency ('{alpha}').");

    /// <summary>xs:dateTime → DE 7 (MMDDhhmmss, UTC).</summary>
    public static string? ToDe7(string? isoDateTime)
    {
        if (isoDateTime is null) return null;
        var t = ParseDateTime(isoDateTime).UtcDateTime;
        return t.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
    }

    /// <summary>DE 7 → xs:dateTime in UTC; the year, which DE 7 lacks, is the current one (the previous leap year for 29 February).</summary>
    public static string? FromDe7(string? de7)
    {
        if (de7 is null || de7.Length != 10) return null;
        int year = YearFor(de7[..4]);
        return $"{year:D4}-{de7[..2]}-{de7[2..4]}T{de7[4..6]}:{de7[6..8]}:{de7[8..10]}Z";
    }

    /// <summary>DE 13 (MMDD) → xs:date.</summary>
    public static string? FromDe13(string? de13) => de13 is { Length: 4 } ? $"{YearFor(de13):D4}-{de13[..2]}-{de13[2..]}" : null;

    /// <summary>DE 12 (hhmmss) → xs:time.</summary>
    public static string? FromDe12(string? de12) => de12 is { Length: 6 } ? $"{de12[..2]}:{de12[2..4]}:{de12[4..]}" : null;

    /// <summary>xs:date → DE 13 (MMDD).</summary>
    public static string? ToDe13(string? date) => date is { Length: >= 10 } ? date[5..7] + date[8..10] : null;

    /// <summary>xs:time → DE 12 (hhmmss).</summary>
    public static string? ToDe12(string? time) => time is { Length: >= 8 } ? time[..2] + time[3..5] + time[6..8] : null;

    /// <summary>DE 12 + DE 13 → a local xs:dateTime.</summary>
    public static string? LocalDateTime(string? de12, string? de13) =>
        de12 is { Length: 6 } && de13 is { Length: 4 } ? $"{FromDe13(de13)}T{FromDe12(de12)}" : null;

    private static int YearFor(string mmdd)
    {
        int year = DateTime.UtcNow.Year;
        if (mmdd == "0229") while (!DateTime.IsLeapYear(year)) year--;
        return year;
    }

    public static DateTimeOffset ParseDateTime(string value)
    {
        bool hasOffset = value.EndsWith('Z') || (value.Length > 19 && (value[^6] == '+' || value[^6] == '-'));
        return DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, hasOffset ? DateTimeStyles.None : DateTimeStyles.AssumeUniversal);
    }

    /// <summary>Digits derived from a text (FNV-1a), for an ISO 8583 number ISO 20022 does not give (DE 11 from a message id).</summary>
    public static string DerivedDigits(string text, int digits)
    {
        uint hash = 2166136261;
        foreach (char c in text) hash = (hash ^ c) * 16777619;
        ulong mod = 1;
        for (int i = 0; i < digits; i++) mod *= 10;
        return (hash % mod).ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>A value that is all digits and at most <paramref name="max"/> long.</summary>
    public static bool IsDigits(string? value, int max) => value is { Length: > 0 } && value.Length <= max && value.All(char.IsAsciiDigit);

    /// <summary>The message id the translation derives from DE 7 and DE 11 ("ISO8583-0702103000-000123").</summary>
    public static string MessageId(string? de7, string? de11) => $"ISO8583-{de7 ?? "0000000000"}-{de11 ?? "000000"}";

    /// <summary>DE 7 and DE 11 back out of a derived message id; false for any other id.</summary>
    public static bool TryParseMessageId(string? id, out string de7, out string de11)
    {
        de7 = de11 = "";
        if (id is not { Length: 25 } || !id.StartsWith("ISO8583-", StringComparison.Ordinal) || id[18] != '-') return false;
        de7 = id[8..18];
        de11 = id[19..];
        return de7.All(char.IsAsciiDigit) && de11.All(char.IsAsciiDigit);
    }

    /// <summary>DE 37 (12 characters) from an id that fits; null when it does not.</summary>
    public static string? ToRrn(string? id) => id is { Length: > 0 and <= 12 } && id.All(c => c is >= ' ' and <= '~') ? id.PadRight(12) : null;

    /// <summary>A fixed-length numeric field left-padded with zeros.</summary>
    public static string Pad(string digits, int length) => digits.PadLeft(length, '0');
}

/// <summary>Steps several mappings share.</summary>
internal static class Shared
{
    /// <summary>The creation time from DE 7 unless the carried one already agrees; now when neither gives one.</summary>
    public static void PutCreated(Values v, string path, IsoMessage m, IsoMessage probe)
    {
        if (m[7] is { } de7 && probe[7] != de7 && Convert8583.FromDe7(de7) is { } created) v[path] = created;
        if (v.Get(path) is null) v[path] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// DE 4 and DE 49 onto an amount and its currency, unless the carried amount already agrees (so "125000" stays
    /// "125000" rather than becoming "125000.00"); false when DE 4 is absent.
    /// </summary>
    public static bool PutAmount(Values v, string path, IsoMessage m, IsoMessage probe)
    {
        if (m[4] is not { } de4) return false;
        if (probe[4] == de4 && probe[49] == m[49] && v.ContainsKey(path)) return true;
        var currency = Convert8583.CurrencyOfDe49(m[49]);
        v[path] = Convert8583.FromMinorUnits(de4, currency.Decimals);
        v[path + "/@Ccy"] = currency.Alpha;
        return true;
    }

    /// <summary>An institution id onto the first agent, and onto the others where the values already name them.</summary>
    public static void PutInstitutions(Values v, string? id, string first, params string[] others)
    {
        if (string.IsNullOrEmpty(id)) return;
        Parts.PutInstitution(v, first, id);
        foreach (string agent in others)
            if (Parts.Agent(agent).Any(v.ContainsKey)) Parts.PutInstitution(v, agent, id);
    }
}
