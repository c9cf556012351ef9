using System.Globalization;
using System.Text;

namespace Switch.Core.Authorization;

/// <summary>
/// What a balance-effect event's <c>Detail</c> tells <see cref="OnUsAuthorizer.Apply"/> beyond its kind, account and
/// amount, so a replay rebuilds exactly what the live decision changed. Text of <c>name=value</c> fields joined by
/// <c>;</c>, in this order, each optional: <c>day=yyyyMMdd;dd=±minor</c> (change of that UTC day's total of the
/// account), <c>p=before:after</c> (PIN tries of the card named by the event's PAN hash), <c>o=txn</c> (the original
/// transaction whose hold or debit this reverses or completes), <c>c=1</c> (a completion), <c>x=1</c> (a hold released
/// because it expired), <c>hs=yyyyMMdd.HHmmss</c> (when the released hold was placed, UTC: an undo of the release puts
/// the hold back with its own age, so it expires when a replay of the journal would expire it), <c>r=key</c> (the approval
/// enters the reversal index under this key: original MTI, STAN, DE7, DE32, terminal id; last, as a terminal id may
/// hold any character). No card data: keys and ids only.
/// </summary>
internal readonly record struct EffectDetail(int Day, long DailyDelta, int PinBefore, int PinAfter, string? Original, bool Completion, string? Key)
{
    /// <summary>Most UTF-8 bytes the journal keeps in a detail.</summary>
    public const int BytesMax = 255;

    /// <summary>A release of a hold that outlived <see cref="CoreOptions.HoldExpiryMinutes"/> (x=1).</summary>
    public bool Expiry { get; init; }

    /// <summary>When the hold this event releases was placed (whole seconds, UTC), or null (hs=).</summary>
    public DateTime? HoldSince { get; init; }

    /// <summary>Whether the event changes PIN tries.</summary>
    public bool HasPin => PinAfter >= 0;

    /// <summary>A detail with no field set.</summary>
    public static EffectDetail None => new(0, 0, -1, -1, null, false, null);

    /// <summary>The text form.</summary>
    public string Format()
    {
        var sb = new StringBuilder(64);
        if (Day != 0) Append(sb, "day", Day.ToString(CultureInfo.InvariantCulture)).Append(";dd=").Append(DailyDelta.ToString(CultureInfo.InvariantCulture));
        if (HasPin) Append(sb, "p", $"{PinBefore}:{PinAfter}");
        if (Original is not null) Append(sb, "o", Original);
        if (Completion) Append(sb, "c", "1");
        if (Expiry) Append(sb, "x", "1");
        if (HoldSince is { } since) Append(sb, "hs", since.ToString(HoldSinceFormat, CultureInfo.InvariantCulture));
        if (Key is not null) Append(sb, "r", Key);
        string text = sb.ToString();
        // An oversized detail would be refused by the journal codec at append: fail here, where the cause is known.
        if (Encoding.UTF8.GetByteCount(text) > BytesMax) throw new InvalidOperationException($"effect detail of {text.Length} characters exceeds {BytesMax} bytes");
        return text;
    }

    private static StringBuilder Append(StringBuilder sb, string name, string value)
    {
        if (sb.Length > 0) sb.Append(';');
        return sb.Append(name).Append('=').Append(value);
    }

    // Eight and six digits: the journal refuses 13 digits in a row in a detail (its PAN guard).
    private const string HoldSinceFormat = "yyyyMMdd'.'HHmmss";

    /// <summary>Parses a detail; false (with the reason) for text this authorizer did not write.</summary>
    public static bool TryParse(string text, out EffectDetail detail, out string problem)
    {
        detail = None;
        problem = "";
        int day = 0, pinBefore = -1, pinAfter = -1;
        long dailyDelta = 0;
        string? original = null, key = null;
        bool completion = false, sawDailyDelta = false, expiry = false;
        DateTime? holdSince = null;
        int position = 0;
        while (position < text.Length)
        {
            int eq = text.IndexOf('=', position);
            if (eq < 0) return Fail(out problem, $"field at {position} has no '='");
            string name = text[position..eq];
            // r= is last and takes the rest of the text (a terminal id may contain ';').
            int end = name == "r" ? text.Length : IndexOrEnd(text, ';', eq + 1);
            string value = text[(eq + 1)..end];
            position = end + 1;
            switch (name)
            {
                case "day" when value.Length == 8 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out day): break;
                case "dd" when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out dailyDelta): sawDailyDelta = true; break;
                case "p" when TryParsePin(value, out pinBefore, out pinAfter): break;
                case "o" when value.Length > 0: original = value; break;
                case "c" when value == "1": completion = true; break;
                case "x" when value == "1": expiry = true; break;
                case "hs" when DateTime.TryParseExact(value, HoldSinceFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var since): holdSince = since; break;
                case "r" when value.Length > 0: key = value; break;
                default: return Fail(out problem, $"field '{name}' at {eq - name.Length} has a bad value or is unknown");
            }
        }
        if (sawDailyDelta && day == 0) return Fail(out problem, "field 'dd' without 'day'");
        detail = new EffectDetail(day, dailyDelta, pinBefore, pinAfter, original, completion, key) { Expiry = expiry, HoldSince = holdSince };
        return true;
    }

    private static int IndexOrEnd(string text, char c, int from)
    {
        int i = text.IndexOf(c, from);
        return i < 0 ? text.Length : i;
    }

    private static bool TryParsePin(string value, out int before, out int after)
    {
        before = after = -1;
        int colon = value.IndexOf(':');
        return colon > 0
            && int.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out before)
            && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out after)
            && before <= 99 && after <= 99;
    }

    private static bool Fail(out string problem, string text)
    {
        problem = text;
        return false;
    }
}
