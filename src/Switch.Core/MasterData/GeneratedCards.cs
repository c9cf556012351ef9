using System.Globalization;

namespace Switch.Core.MasterData;

/// <summary>
/// TEST DATA: the load generator's cards, made by <c>./switch db seed demo --cards N</c>. Their PANs are computed from
/// an index, never stored in a file: the on-us demo BIN 476173, then the digit 1 (the demo cards A–F have 0 there, so
/// the ranges cannot collide), the index in 8 digits, and the Luhn check digit. The load generator regenerates them
/// with <see cref="Pan"/>. Every generated card has PIN <see cref="Pin"/>, its own account with a large balance and
/// large limits, expiry 3012 and the demo BIN's service code and PVKI.
/// </summary>
public static class GeneratedCards
{
    /// <summary>Most generated cards (`--cards` accepts 0 to this).</summary>
    public const int CountMax = 1_000_000;

    /// <summary>The PIN of every generated card (TEST DATA).</summary>
    public const string Pin = "1234";

    /// <summary>Expiry (YYMM) of every generated card.</summary>
    public const string Expiry = "3012";

    /// <summary>Opening balance of each generated card's account (10,000,000.00).</summary>
    public const long OpeningBalanceMinor = 1_000_000_000;

    /// <summary>Per-transaction limit of a generated card (100,000.00).</summary>
    public const long PerTransactionLimitMinor = 10_000_000;

    /// <summary>Daily limit of a generated card (10,000,000.00: a load run never reaches it).</summary>
    public const long DailyLimitMinor = 1_000_000_000;

    /// <summary>The digit after the BIN that marks a generated card (A–F have 0).</summary>
    private const char RangeDigit = '1';

    /// <summary>The PAN of generated card <paramref name="index"/> (0 to <see cref="CountMax"/> − 1): 16 digits, Luhn-valid.</summary>
    public static string Pan(int index)
    {
        if (index is < 0 or >= CountMax) throw new ArgumentOutOfRangeException(nameof(index), index, $"a generated card index is 0 to {CountMax - 1}");
        string body = string.Concat(DemoDataSet.All.OnUsBin, RangeDigit.ToString(), index.ToString("D8", CultureInfo.InvariantCulture));
        return body + LuhnDigit(body);
    }

    /// <summary>The account of generated card <paramref name="index"/>.</summary>
    public static string AccountId(int index) => "LOAD-ACC-" + index.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>The Luhn check digit that completes <paramref name="body"/> (all digits).</summary>
    public static char LuhnDigit(ReadOnlySpan<char> body)
    {
        int sum = 0;
        bool twice = true; // the rightmost body digit is doubled once the check digit is appended
        for (int i = body.Length - 1; i >= 0; i--)
        {
            int d = body[i] - '0';
            if (d is < 0 or > 9) throw new ArgumentException($"not a digit at position {i}", nameof(body));
            if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
            twice = !twice;
        }
        return (char)('0' + (10 - sum % 10) % 10);
    }
}
