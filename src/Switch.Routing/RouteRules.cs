using System.Globalization;
using Switch.Iso8583.Vocabulary;

namespace Switch.Routing;

/// <summary>
/// Every rule an operator's input must follow, each refusing with one sentence that names the option: route names,
/// BIN prefixes, priorities, MTI classes, processing codes, currencies, operators and test PANs.
/// </summary>
public static class RouteRules
{
    /// <summary>Shortest BIN prefix (a 6-digit BIN).</summary>
    public const int BinDigitsMin = 6;

    /// <summary>Longest BIN prefix (an 8-digit BIN plus 3 digits of account range).</summary>
    public const int BinDigitsMax = 11;

    /// <summary>Longest route or destination name.</summary>
    public const int NameCharsMax = 64;

    /// <summary>Longest operator identity recorded in the audit.</summary>
    public const int OperatorCharsMax = 64;

    /// <summary>First priority (wins among equal prefixes).</summary>
    public const int PriorityMin = 1;

    /// <summary>Last priority.</summary>
    public const int PriorityMax = 999;

    /// <summary>The priority of a route added without one.</summary>
    public const int PriorityDefault = 100;

    /// <summary>Shortest PAN (ISO/IEC 7812).</summary>
    public const int PanDigitsMin = 12;

    /// <summary>Longest PAN (ISO/IEC 7812).</summary>
    public const int PanDigitsMax = 19;

    /// <summary>Validates every part and builds the route; throws <see cref="RoutingException"/> naming the first bad option.</summary>
    public static Route Create(string name, string bin, string destination, int priority = PriorityDefault, string? failover = null,
        MtiClass? mtiClass = null, string? processingCode = null, string? currency = null)
    {
        RequireName("--name", name);
        RequireBin(bin);
        RequireName("--destination", destination);
        RequirePriority(priority);
        if (failover is not null)
        {
            RequireName("--failover", failover);
            if (failover == destination) throw new RoutingException($"--failover: '{failover}' is the destination itself; give another destination or none");
        }
        if (mtiClass is { } c && c is not (MtiClass.Authorization or MtiClass.Financial or MtiClass.Reversal))
            throw new RoutingException($"--mti-class: {(int)c:D2} is not routable; expected 01 (authorization), 02 (financial) or 04 (reversal)");
        if (processingCode is not null) RequireProcessingCode(processingCode);
        if (currency is not null) RequireCurrency("--currency", currency);
        return new Route(name, bin, destination, priority, failover, mtiClass, processingCode, currency);
    }

    /// <summary>Longest clearing-system member id (ISO 20022 Max35Text).</summary>
    public const int MemberIdCharsMax = 35;

    /// <summary>
    /// Validates and builds an ISO 20022 route keyed by the creditor agent's BIC or clearing-system member id. Its only
    /// condition is the currency (ISO 4217 numeric); MTI class and processing code belong to BIN routes.
    /// </summary>
    public static Route CreateAgent(string name, RouteKeyKind kind, string key, string destination, int priority = PriorityDefault,
        string? failover = null, string? currency = null)
    {
        RequireName("--name", name);
        switch (kind)
        {
            case RouteKeyKind.Bic: RequireBic("--bic", key); break;
            case RouteKeyKind.MemberId: RequireMemberId("--member-id", key); break;
            default: throw new RoutingException("--bin: a BIN route is made with RouteRules.Create");
        }
        RequireName("--destination", destination);
        RequirePriority(priority);
        if (failover is not null)
        {
            RequireName("--failover", failover);
            if (failover == destination) throw new RoutingException($"--failover: '{failover}' is the destination itself; give another destination or none");
        }
        if (currency is not null) RequireCurrency("--currency", currency);
        return new Route(name, kind, key, destination, priority, failover, currency);
    }

    /// <summary>
    /// A BIC (ISO 9362): 4 letters of institution, 2 letters of country, 2 letters or digits of location, and optionally
    /// 3 letters or digits of branch; upper case. 8 characters route every branch, 11 one branch.
    /// </summary>
    public static void RequireBic(string option, string? bic)
    {
        if (string.IsNullOrEmpty(bic)) throw new RoutingException($"{option}: is empty; expected a BIC of 8 or 11 characters (e.g. DEUTDEFF or DEUTDEFF500)");
        if (bic.Length is not (8 or 11)) throw new RoutingException($"{option}: '{Printable(bic)}' has {bic.Length} characters; a BIC has 8 or 11");
        for (int i = 0; i < bic.Length; i++)
        {
            char ch = bic[i];
            bool ok = i < 6 ? char.IsAsciiLetterUpper(ch) : char.IsAsciiLetterUpper(ch) || char.IsAsciiDigit(ch);
            if (!ok)
                throw new RoutingException(i < 6
                    ? $"{option}: character {i + 1} of '{Printable(bic)}' is not an upper-case letter (institution and country are letters)"
                    : $"{option}: character {i + 1} of '{Printable(bic)}' is not an upper-case letter or digit");
        }
    }

    /// <summary>A clearing-system member id (e.g. an ABA routing number, a sort code): 1 to 35 letters or digits.</summary>
    public static void RequireMemberId(string option, string? memberId)
    {
        if (string.IsNullOrEmpty(memberId)) throw new RoutingException($"{option}: is empty; expected 1 to {MemberIdCharsMax} letters or digits");
        if (memberId.Length > MemberIdCharsMax) throw new RoutingException($"{option}: has {memberId.Length} characters; at most {MemberIdCharsMax}");
        int bad = memberId.AsSpan().IndexOfAnyExcept(AsciiLettersAndDigits);
        if (bad >= 0) throw new RoutingException($"{option}: character {bad + 1} of '{Printable(memberId)}' is not a letter or digit");
    }

    private static readonly System.Buffers.SearchValues<char> AsciiLettersAndDigits =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>A route or destination name: a letter or digit, then letters, digits, '.', '-' or '_', at most 64 in all.</summary>
    public static void RequireName(string option, string? value)
    {
        if (string.IsNullOrEmpty(value)) throw new RoutingException($"{option}: is empty; expected a name of letters, digits, '.', '-' or '_'");
        if (value.Length > NameCharsMax) throw new RoutingException($"{option}: is {value.Length} characters; at most {NameCharsMax}");
        if (!char.IsAsciiLetterOrDigit(value[0])) throw new RoutingException($"{option}: '{Printable(value)}' must start with a letter or digit");
        for (int i = 0; i < value.Length; i++)
        {
            char ch = value[i];
            if (!char.IsAsciiLetterOrDigit(ch) && ch is not ('.' or '-' or '_'))
                throw new RoutingException($"{option}: character {i + 1} of '{Printable(value)}' is not a letter, digit, '.', '-' or '_'");
        }
    }

    /// <summary>A BIN prefix: 6 to 11 decimal digits.</summary>
    public static void RequireBin(string? bin)
    {
        if (string.IsNullOrEmpty(bin)) throw new RoutingException("--bin: is empty; expected 6 to 11 digits");
        int bad = IndexOfNonDigit(bin);
        if (bad >= 0) throw new RoutingException($"--bin: character {bad + 1} is not a digit; expected 6 to 11 digits");
        if (bin.Length is < BinDigitsMin or > BinDigitsMax)
            throw new RoutingException($"--bin: has {bin.Length} digits; expected {BinDigitsMin} to {BinDigitsMax}");
    }

    /// <summary>A priority from 1 (first) to 999.</summary>
    public static void RequirePriority(int priority)
    {
        if (priority is < PriorityMin or > PriorityMax)
            throw new RoutingException($"--priority: is {priority}; expected {PriorityMin} (first) to {PriorityMax}");
    }

    /// <summary>Parses --priority: digits, then the range check.</summary>
    public static int ParsePriority(string value)
    {
        if (value.Length is < 1 or > 4 || IndexOfNonDigit(value) >= 0)
            throw new RoutingException($"--priority: '{Printable(value)}' is not a number; expected {PriorityMin} (first) to {PriorityMax}");
        int priority = int.Parse(value, CultureInfo.InvariantCulture);
        RequirePriority(priority);
        return priority;
    }

    /// <summary>A processing code condition: 2 digits (DE3's transaction type) or all 6 digits of DE3.</summary>
    public static void RequireProcessingCode(string value)
    {
        int bad = IndexOfNonDigit(value);
        if (value.Length is not (2 or 6) || bad >= 0)
            throw new RoutingException($"--processing-code: '{Printable(value)}' is not 2 or 6 digits (2 match DE3's transaction type, 6 all of DE3)");
    }

    /// <summary>An ISO 4217 numeric currency code: 3 digits, not 000.</summary>
    public static void RequireCurrency(string option, string value)
    {
        if (value.Length != 3 || IndexOfNonDigit(value) >= 0)
            throw new RoutingException($"{option}: '{Printable(value)}' is not an ISO 4217 numeric code (3 digits, e.g. 978)");
        if (value == "000") throw new RoutingException($"{option}: 000 is not a currency");
    }

    /// <summary>Parses --mti-class: 01, 02 or 04.</summary>
    public static MtiClass ParseMtiClass(string value) => value switch
    {
        "01" => MtiClass.Authorization,
        "02" => MtiClass.Financial,
        "04" => MtiClass.Reversal,
        _ => throw new RoutingException($"--mti-class: '{Printable(value)}' is not 01 (authorization), 02 (financial) or 04 (reversal)"),
    };

    /// <summary>The class of a four-digit MTI given to <c>routes test --mti</c>.</summary>
    public static MtiClass ParseMti(string value)
    {
        if (!Mti.IsWellFormed(value)) throw new RoutingException($"--mti: '{Printable(value)}' is not a four-digit MTI");
        return Mti.Class(value);
    }

    /// <summary>The two-digit text of a class (01, 02, 04).</summary>
    public static string MtiClassText(MtiClass c) => ((int)c).ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>An operator identity: 1 to 64 printable characters.</summary>
    public static void RequireOperator(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new RoutingException("--operator: is empty; say who makes the change");
        if (value.Length > OperatorCharsMax) throw new RoutingException($"--operator: is {value.Length} characters; at most {OperatorCharsMax}");
        foreach (char ch in value)
        {
            if (char.IsControl(ch)) throw new RoutingException("--operator: contains a control character");
        }
    }

    /// <summary>
    /// A PAN for <c>routes test</c>: 12 to 19 digits. The message never repeats the PAN (it may be real); the Luhn check
    /// is reported by <see cref="LuhnValid"/>, not refused, since test ranges often fail it.
    /// </summary>
    public static void RequirePan(string? pan)
    {
        if (string.IsNullOrEmpty(pan)) throw new RoutingException("PAN: is empty; expected 12 to 19 digits");
        int bad = IndexOfNonDigit(pan);
        if (bad >= 0) throw new RoutingException($"PAN: character {bad + 1} is not a digit; expected 12 to 19 digits");
        if (pan.Length is < PanDigitsMin or > PanDigitsMax)
            throw new RoutingException($"PAN: has {pan.Length} digits; expected {PanDigitsMin} to {PanDigitsMax}");
    }

    /// <summary>True when the digits pass the Luhn (mod 10) check.</summary>
    public static bool LuhnValid(ReadOnlySpan<char> digits)
    {
        int sum = 0;
        bool doubleIt = false;
        for (int i = digits.Length - 1; i >= 0; i--)
        {
            int d = digits[i] - '0';
            if (d is < 0 or > 9) return false;
            if (doubleIt) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
            doubleIt = !doubleIt;
        }
        return digits.Length > 0 && sum % 10 == 0;
    }

    /// <summary>An amount in minor units for <c>routes test --amount</c>: 1 to 12 digits (DE4's size).</summary>
    public static long ParseAmount(string value)
    {
        if (value.Length is < 1 or > 12 || IndexOfNonDigit(value) >= 0)
            throw new RoutingException($"--amount: '{Printable(value)}' is not an amount in minor units (1 to 12 digits)");
        return long.Parse(value, CultureInfo.InvariantCulture);
    }

    private static int IndexOfNonDigit(ReadOnlySpan<char> s) => s.IndexOfAnyExceptInRange('0', '9');

    /// <summary>Input quoted in a message, cut short and without control characters, so an error stays one line.</summary>
    private static string Printable(string value)
    {
        string cut = value.Length > 40 ? value[..40] + "…" : value;
        return string.Create(cut.Length, cut, static (span, s) =>
        {
            for (int i = 0; i < s.Length; i++) span[i] = char.IsControl(s[i]) ? '?' : s[i];
        });
    }
}
