using System.Globalization;
using System.Numerics;

namespace Switch.Iso20022;

/// <summary>
/// The rules a schema cannot express, checked on a schema-valid document: amount decimals per ISO 4217 currency, IBAN
/// check digits, BIC form and country, identifiers not blank, and number-of-transactions / control-sum consistency.
/// </summary>
public static class BusinessRules
{
    private static readonly HashSet<string> IdentifierElements = new(StringComparer.Ordinal)
    {
        "MsgId", "EndToEndId", "InstrId", "TxId", "PmtInfId", "BizMsgIdr", "OrgnlMsgId", "OrgnlEndToEndId", "OrgnlInstrId", "OrgnlTxId", "CxlId", "RtrId", "StsId",
    };

    private static readonly HashSet<string> BicElements = new(StringComparer.Ordinal) { "BICFI", "AnyBIC", "BIC", "BICOrBEI" };

    // Span look-ups: the checks run on every value of every message, so no substring is made to look a name up.
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> IdentifierLookup = IdentifierElements.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> BicLookup = BicElements.GetAlternateLookup<ReadOnlySpan<char>>();

    // Cain amounts carry their currency as a numeric sibling element, not an attribute.
    private static readonly (string Amount, string Currency)[] NumericCurrencyPairs =
        [("Amt", "Ccy"), ("CrdhldrBllgAmt", "CrdhldrBllgCcy"), ("RcncltnAmt", "RcncltnCcy")];

    /// <summary>Every business-rule error of the document (empty when it passes).</summary>
    public static List<Iso20022Error> Check(Iso20022Document document, int errorsMax = 50)
    {
        var errors = new List<Iso20022Error>();
        CheckValues(document.HeaderFields, errors);
        CheckValues(document.Fields, errors);
        CheckCurrencies(document.Fields, errors);
        if (document.MessageType.StartsWith("cain.", StringComparison.Ordinal)) CheckNumericCurrencies(document.Fields, errors);
        CheckTotals(document, errors);
        return errors.Count > errorsMax ? errors[..errorsMax] : errors;
    }

    private static string LastSegment(string path) => Segment(path).ToString();

    private static ReadOnlySpan<char> Segment(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? path : path.AsSpan(slash + 1);
    }

    private static void CheckValues(IReadOnlyList<Iso20022Field> fields, List<Iso20022Error> errors)
    {
        foreach (var f in fields)
        {
            var name = Segment(f.Path);
            if (IdentifierLookup.Contains(name) && string.IsNullOrWhiteSpace(f.Value))
                errors.Add(new(f.Line, f.Position, $"identifier '{name}' is blank; it must hold at least one character other than a space."));
            else if (name.SequenceEqual("IBAN") && Iban.Problem(f.Value) is { } ibanProblem)
                errors.Add(new(f.Line, f.Position, $"IBAN '{f.Value}' {ibanProblem}."));
            else if (BicLookup.Contains(name) && Bic.Problem(f.Value) is { } bicProblem)
                errors.Add(new(f.Line, f.Position, $"BIC '{f.Value}' {bicProblem}."));
        }
    }

    /// <summary>Amounts with a Ccy attribute: the currency must be ISO 4217 and the decimals within its minor unit.</summary>
    private static void CheckCurrencies(IReadOnlyList<Iso20022Field> fields, List<Iso20022Error> errors)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            var attr = fields[i];
            if (!attr.Path.EndsWith("/@Ccy", StringComparison.Ordinal)) continue;
            string elementPath = attr.Path[..^5];
            var amount = i + 1 < fields.Count && fields[i + 1].Path == elementPath ? fields[i + 1] : (Iso20022Field?)null;
            CheckAmount(LastSegment(elementPath), amount?.Value, attr.Value, amount ?? attr, errors);
        }
        foreach (var f in fields)
        {
            // A bare currency element (an account's currency, a requested currency): a known ISO 4217 code.
            if (f.Value.Length == 3 && Segment(f.Path) is "Ccy" or "TrgtCcy" or "SrcCcy" or "UnitCcy" && char.IsLetter(f.Value[0]) && Iso4217.FromAlpha(f.Value) is null)
                errors.Add(new(f.Line, f.Position, $"currency '{f.Value}' is not an ISO 4217 currency code."));
        }
    }

    private static void CheckNumericCurrencies(IReadOnlyList<Iso20022Field> fields, List<Iso20022Error> errors)
    {
        foreach (var f in fields)
        {
            foreach (var (amountName, currencyName) in NumericCurrencyPairs)
            {
                if (LastSegment(f.Path) != amountName) continue;
                string currencyPath = f.Path[..^amountName.Length] + currencyName;
                var currency = fields.FirstOrDefault(c => c.Path == currencyPath && c.Line >= 0);
                if (currency.Path is null || currency.Value.Length != 3 || !char.IsDigit(currency.Value[0])) continue;
                var known = Iso4217.FromNumeric(currency.Value);
                if (known is null)
                    errors.Add(new(currency.Line, currency.Position, $"currency '{currency.Value}' is not an ISO 4217 numeric currency code."));
                else if (Iso4217.DecimalsOf(f.Value) > known.Decimals)
                    errors.Add(new(f.Line, f.Position, DecimalsMessage(amountName, f.Value, known)));
            }
        }
    }

    private static void CheckAmount(string element, string? amount, string currency, Iso20022Field at, List<Iso20022Error> errors)
    {
        var known = Iso4217.FromAlpha(currency);
        if (known is null)
        {
            errors.Add(new(at.Line, at.Position, $"currency '{currency}' of '{element}' is not an ISO 4217 currency code."));
            return;
        }
        if (amount is not null && Iso4217.DecimalsOf(amount) > known.Decimals)
            errors.Add(new(at.Line, at.Position, DecimalsMessage(element, amount, known)));
    }

    private static string DecimalsMessage(string element, string amount, Iso4217.Currency currency) =>
        $"amount {amount} of '{element}' has {Iso4217.DecimalsOf(amount)} decimals; {currency.Alpha} allows {(currency.Decimals == 0 ? "none" : currency.Decimals.ToString(CultureInfo.InvariantCulture))}.";

    private sealed record TotalsRule(string Count, string Item, string Amount, string? TotalAmount);

    private static TotalsRule? TotalsFor(string messageType) => messageType switch
    {
        "pacs.008" or "pacs.009" => new("GrpHdr/NbOfTxs", "CdtTrfTxInf/PmtId/EndToEndId", "CdtTrfTxInf/IntrBkSttlmAmt", "GrpHdr/TtlIntrBkSttlmAmt"),
        "pacs.004" => new("GrpHdr/NbOfTxs", "TxInf/RtrdIntrBkSttlmAmt", "TxInf/RtrdIntrBkSttlmAmt", "GrpHdr/TtlRtrdIntrBkSttlmAmt"),
        "pain.001" => new("GrpHdr/NbOfTxs", "PmtInf/CdtTrfTxInf/PmtId/EndToEndId", "PmtInf/CdtTrfTxInf/Amt/InstdAmt", null),
        _ => null,
    };

    /// <summary>NbOfTxs equals the transactions present; CtrlSum and the total amount equal the sum of their amounts.</summary>
    private static void CheckTotals(Iso20022Document document, List<Iso20022Error> errors)
    {
        var rule = TotalsFor(document.MessageType);
        if (rule is null) return;
        var items = document.All(rule.Item).ToList();
        var amounts = document.All(rule.Amount).ToList();
        // pain.001 may instruct an equivalent amount instead; the control sum adds those too.
        if (document.MessageType == "pain.001") amounts.AddRange(document.All("PmtInf/CdtTrfTxInf/Amt/EqvtAmt/Amt"));
        decimal sum = amounts.Sum(a => ParseDecimal(a.Value));
        CheckGroup(document.Field(rule.Count), document.Field("GrpHdr/CtrlSum"), items.Count, sum, "the message", errors);
        if (rule.TotalAmount is not null && document.Field(rule.TotalAmount) is { } total)
        {
            if (ParseDecimal(total.Value) != sum)
                errors.Add(new(total.Line, total.Position, $"'{LastSegment(rule.TotalAmount)}' is {total.Value} but the transactions' amounts add up to {sum.ToString(CultureInfo.InvariantCulture)}."));
            string? totalCcy = document.Value(rule.TotalAmount + "/@Ccy");
            foreach (var c in document.All(rule.Amount + "/@Ccy"))
                if (c.Value != totalCcy)
                    errors.Add(new(c.Line, c.Position, $"a transaction in {c.Value} cannot add up to '{LastSegment(rule.TotalAmount)}' in {totalCcy}."));
        }
        if (document.MessageType == "pain.001") CheckPaymentInformationGroups(document.Fields, errors);
    }

    private static void CheckGroup(Iso20022Field? count, Iso20022Field? control, int items, decimal sum, string scope, List<Iso20022Error> errors)
    {
        if (count is { } c && (!int.TryParse(c.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n != items))
            errors.Add(new(c.Line, c.Position, $"NbOfTxs is {c.Value} but {scope} holds {items} transaction{(items == 1 ? "" : "s")}."));
        if (control is { } s && ParseDecimal(s.Value) != sum)
            errors.Add(new(s.Line, s.Position, $"CtrlSum is {s.Value} but the amounts of {scope} add up to {sum.ToString(CultureInfo.InvariantCulture)}."));
    }

    /// <summary>pain.001: each PmtInf's own NbOfTxs and CtrlSum cover its own transactions.</summary>
    private static void CheckPaymentInformationGroups(IReadOnlyList<Iso20022Field> fields, List<Iso20022Error> errors)
    {
        Iso20022Field? count = null, control = null;
        int items = 0;
        decimal sum = 0;
        string? id = null;
        bool open = false;
        foreach (var f in fields)
        {
            switch (f.Path)
            {
                case "PmtInf/PmtInfId":
                    if (open) CheckGroup(count, control, items, sum, $"payment information '{id}'", errors);
                    (count, control, items, sum, id, open) = (null, null, 0, 0m, f.Value, true);
                    break;
                case "PmtInf/NbOfTxs": count = f; break;
                case "PmtInf/CtrlSum": control = f; break;
                case "PmtInf/CdtTrfTxInf/PmtId/EndToEndId": items++; break;
                case "PmtInf/CdtTrfTxInf/Amt/InstdAmt" or "PmtInf/CdtTrfTxInf/Amt/EqvtAmt/Amt": sum += ParseDecimal(f.Value); break;
            }
        }
        if (open) CheckGroup(count, control, items, sum, $"payment information '{id}'", errors);
    }

    private static decimal ParseDecimal(string value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal d) ? d : 0m;
}

/// <summary>IBAN checks: form, country and ISO 13616 mod-97 check digits.</summary>
public static class Iban
{
    /// <summary>Null for a valid IBAN, else what is wrong ("has wrong check digits").</summary>
    public static string? Problem(string iban)
    {
        if (iban.Length is < 15 or > 34) return "must be 15 to 34 characters";
        for (int i = 0; i < iban.Length; i++)
        {
            char c = iban[i];
            bool ok = i < 2 ? c is >= 'A' and <= 'Z' : i < 4 ? char.IsAsciiDigit(c) : char.IsAsciiDigit(c) || c is >= 'A' and <= 'Z';
            if (!ok) return "must be two letters, two check digits and up to 30 letters or digits";
        }
        if (!Countries.IsCountry(iban[..2])) return $"names no country ('{iban[..2]}')";
        return Mod97(iban) == 1 ? null : "has wrong check digits";
    }

    private static int Mod97(string iban)
    {
        string rearranged = iban[4..] + iban[..4];
        int remainder = 0;
        foreach (char c in rearranged)
        {
            int v = char.IsAsciiDigit(c) ? c - '0' : c - 'A' + 10;
            remainder = v >= 10 ? (remainder * 100 + v) % 97 : (remainder * 10 + v) % 97;
        }
        return remainder;
    }
}

/// <summary>BIC (ISO 9362) checks: institution, country, location and optional branch.</summary>
public static class Bic
{
    /// <summary>Null for a well-formed BIC with a known country, else what is wrong.</summary>
    public static string? Problem(string bic)
    {
        if (bic.Length is not (8 or 11)) return "must be 8 or 11 characters";
        for (int i = 0; i < bic.Length; i++)
        {
            char c = bic[i];
            bool ok = i is 4 or 5 ? c is >= 'A' and <= 'Z' : char.IsAsciiDigit(c) || c is >= 'A' and <= 'Z';
            if (!ok) return "must be 4 letters or digits, a 2-letter country, 2 location and 3 optional branch characters";
        }
        return Countries.IsCountry(bic[4..6]) ? null : $"names no country ('{bic[4..6]}')";
    }
}

/// <summary>ISO 3166-1 alpha-2 country codes (with XK, used by IBAN and BIC registries for Kosovo).</summary>
public static class Countries
{
    private const string Codes =
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
        "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
        "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO " +
        "JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR " +
        "MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO " +
        "RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV " +
        "TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK";

    private static readonly HashSet<string> Set = new(Codes.Split(' '), StringComparer.Ordinal);

    /// <summary>True for a known two-letter country code.</summary>
    public static bool IsCountry(string code) => Set.Contains(code);
}
