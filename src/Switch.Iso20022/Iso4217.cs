using System.Collections.Frozen;

namespace Switch.Iso20022;

/// <summary>ISO 4217 currencies: alphabetic code, numeric code and minor-unit digits (EUR 2, JPY 0, BHD 3 …).</summary>
public static class Iso4217
{
    /// <summary>One currency of the table.</summary>
    public sealed record Currency(string Alpha, string Numeric, int Decimals);

    // Active codes plus the historic ones still met in payment files (HRK, SLL, ANG). Funds codes (XAU, XDR …) have no minor unit and are left out.
    private const string Table =
        "AED784/2 AFN971/2 ALL008/2 AMD051/2 AOA973/2 ARS032/2 AUD036/2 AWG533/2 AZN944/2 BAM977/2 BBD052/2 BDT050/2 " +
        "BGN975/2 BHD048/3 BIF108/0 BMD060/2 BND096/2 BOB068/2 BOV984/2 BRL986/2 BSD044/2 BTN064/2 BWP072/2 BYN933/2 " +
        "BZD084/2 CAD124/2 CDF976/2 CHE947/2 CHF756/2 CHW948/2 CLF990/4 CLP152/0 CNY156/2 COP170/2 COU970/2 CRC188/2 " +
        "CUP192/2 CVE132/2 CZK203/2 DJF262/0 DKK208/2 DOP214/2 DZD012/2 EGP818/2 ERN232/2 ETB230/2 EUR978/2 FJD242/2 " +
        "FKP238/2 GBP826/2 GEL981/2 GHS936/2 GIP292/2 GMD270/2 GNF324/0 GTQ320/2 GYD328/2 HKD344/2 HNL340/2 HTG332/2 " +
        "HUF348/2 IDR360/2 ILS376/2 INR356/2 IQD368/3 IRR364/2 ISK352/0 JMD388/2 JOD400/3 JPY392/0 KES404/2 KGS417/2 " +
        "KHR116/2 KMF174/0 KPW408/2 KRW410/0 KWD414/3 KYD136/2 KZT398/2 LAK418/2 LBP422/2 LKR144/2 LRD430/2 LSL426/2 " +
        "LYD434/3 MAD504/2 MDL498/2 MGA969/2 MKD807/2 MMK104/2 MNT496/2 MOP446/2 MRU929/2 MUR480/2 MVR462/2 MWK454/2 " +
        "MXN484/2 MXV979/2 MYR458/2 MZN943/2 NAD516/2 NGN566/2 NIO558/2 NOK578/2 NPR524/2 NZD554/2 OMR512/3 PAB590/2 " +
        "PEN604/2 PGK598/2 PHP608/2 PKR586/2 PLN985/2 PYG600/0 QAR634/2 RON946/2 RSD941/2 RUB643/2 RWF646/0 SAR682/2 " +
        "SBD090/2 SCR690/2 SDG938/2 SEK752/2 SGD702/2 SHP654/2 SLE925/2 SOS706/2 SRD968/2 SSP728/2 STN930/2 SVC222/2 " +
        "SYP760/2 SZL748/2 THB764/2 TJS972/2 TMT934/2 TND788/3 TOP776/2 TRY949/2 TTD780/2 TWD901/2 TZS834/2 UAH980/2 " +
        "UGX800/0 USD840/2 USN997/2 UYI940/0 UYU858/2 UYW927/4 UZS860/2 VED926/2 VES928/2 VND704/0 VUV548/0 WST882/2 " +
        "XAF950/0 XCD951/2 XCG532/2 XOF952/0 XPF953/0 YER886/2 ZAR710/2 ZMW967/2 ZWG924/2 ZWL932/2 " +
        "ANG532/2 HRK191/2 SLL694/2";

    private static readonly Currency[] All = Table.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Select(e => new Currency(e[..3], e[3..6], e[7] - '0')).ToArray();

    private static readonly FrozenDictionary<string, Currency> ByAlpha = All.ToFrozenDictionary(c => c.Alpha, StringComparer.Ordinal);

    // Where two codes share a number (XCG replaced ANG), the first listed, current one wins.
    private static readonly FrozenDictionary<string, Currency> ByNumeric = All.GroupBy(c => c.Numeric)
        .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>The currency of an alphabetic code ("EUR"), or null.</summary>
    public static Currency? FromAlpha(string? alpha) => alpha is not null && ByAlpha.TryGetValue(alpha, out var c) ? c : null;

    /// <summary>The currency of a numeric code ("978"), or null.</summary>
    public static Currency? FromNumeric(string? numeric) => numeric is not null && ByNumeric.TryGetValue(numeric, out var c) ? c : null;

    /// <summary>Digits after the decimal point of an amount text ("12.50" → 2, "12" → 0).</summary>
    public static int DecimalsOf(string amount)
    {
        int dot = amount.IndexOf('.');
        if (dot < 0) return 0;
        // Decimals as written: "12.500" has three, which a two-decimal currency refuses (as CBPR+ and SEPA do).
        return amount.Length - dot - 1;
    }
}
