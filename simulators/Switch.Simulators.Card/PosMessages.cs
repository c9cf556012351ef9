using System.Globalization;
using Switch.Iso8583.Message;

namespace Switch.Simulators.Card;

/// <summary>
/// The fields of a terminal's requests, shared by the POS terminal (one exchange at a time) and the load generator
/// (many in flight): what a purchase, withdrawal or inquiry carries, and what its reversal copies from it.
/// </summary>
public static class PosMessages
{
    /// <summary>The original's fields a reversal carries over (card, amount, dates, RRN, terminal).</summary>
    private static readonly int[] ReversalCopies = [2, 3, 4, 12, 13, 14, 22, 32, 37, 41, 42, 49];

    /// <summary>
    /// Sets DE 2/3/4/7/11/12/13/14/22/(32)/35/37/41/42/49 of a card-present magnetic-stripe request (no PIN, no MAC: those
    /// are the terminal's keys' business).
    /// </summary>
    public static void SetRequest(IsoMessage m, string processingCode, long amountMinor, CardProfile card, DateTime now, string stan,
        string terminalId, string merchantId, string currency, string? acquirerId)
    {
        m.Set(2, card.Pan);
        m.Set(3, processingCode.Length == 2 ? processingCode + "0000" : processingCode);
        m.Set(4, amountMinor.ToString("D12", CultureInfo.InvariantCulture));
        m.Set(7, now.ToString("MMddHHmmss", CultureInfo.InvariantCulture));
        m.Set(11, stan);
        m.Set(12, now.ToString("HHmmss", CultureInfo.InvariantCulture));
        m.Set(13, now.ToString("MMdd", CultureInfo.InvariantCulture));
        m.Set(14, card.Expiry);
        m.Set(22, "021");
        if (acquirerId is not null) m.Set(32, acquirerId);
        m.Set(35, card.Track2Data);
        m.Set(37, Rrn(now, stan));
        m.Set(41, terminalId);
        m.Set(42, merchantId);
        m.Set(49, currency);
    }

    /// <summary>
    /// Sets the fields of a reversal of <paramref name="original"/>: its card, amount, RRN and terminal fields, a new DE 7
    /// and DE 11, and DE 90 (original MTI, STAN, DE 7, DE 32 and DE 33 zero-filled).
    /// </summary>
    public static void SetReversal(IsoMessage m, IsoMessage original, DateTime now, string stan)
    {
        foreach (int f in ReversalCopies)
        {
            if (original.GetString(f) is { } value) m.Set(f, value);
        }
        m.Set(7, now.ToString("MMddHHmmss", CultureInfo.InvariantCulture));
        m.Set(11, stan);
        m.Set(90, OriginalData(original));
    }

    /// <summary>DE 90 of a request: MTI 4, STAN 6, DE 7 10, DE 32 and DE 33 each 11 digits zero-filled on the left.</summary>
    public static string OriginalData(IsoMessage original) =>
        $"{original.Mti}{original.GetString(11)}{original.GetString(7)}{(original.GetString(32) ?? "").PadLeft(11, '0')}{(original.GetString(33) ?? "").PadLeft(11, '0')}";

    /// <summary>RRN: last digit of the year, day of the year, hour, STAN (12 characters).</summary>
    public static string Rrn(DateTime now, string stan) => $"{now.Year % 10}{now.DayOfYear:D3}{now.Hour:D2}{stan}";

    /// <summary>A STAN (1–999999) as DE 11's 6 digits.</summary>
    public static string Stan(int stan) => stan.ToString("D6", CultureInfo.InvariantCulture);
}
