using System.Text;

namespace Switch.Core.StoreAndForward;

/// <summary>
/// The issuer gateway's short key=value text in <see cref="Switch.Journal.Events.JournalEvent.Detail"/> (pairs joined
/// by ';', values without ';' or '='; a '/' is written into every run of 12 digits, because the journal refuses runs of 13 or
/// more digits in Detail (a PAN's shape) and DE90 has 42, and taken out again when read), at most 255 UTF-8 bytes: what a restart needs to rebuild the store-and-forward
/// queue and the index of remote transactions. Never card data beyond what the event's own fields hold.
/// </summary>
internal static class EventDetail
{
    /// <summary>The journal's limit on Detail.</summary>
    public const int BytesMax = 255;

    // The journal refuses 13 digits in a row; values are cut into runs of at most 12 by this mark.
    private const int DigitRunMax = 12;
    private const char ChunkMark = '/';

    /// <summary>Joins the pairs whose value is not null or empty (separators in a value become spaces); throws when the text would pass <see cref="BytesMax"/>.</summary>
    public static string Format(params (string Key, string? Value)[] pairs)
    {
        var text = new StringBuilder(128);
        foreach (var (key, value) in pairs)
        {
            if (string.IsNullOrEmpty(value)) continue;
            if (text.Length > 0) text.Append(';');
            text.Append(key).Append('=');
            int run = 0;
            foreach (char raw in value)
            {
                // The separators cannot be part of a value (free text such as a reason loses them).
                char c = raw is ';' or '=' or ChunkMark ? ' ' : raw;
                run = char.IsAsciiDigit(c) ? run + 1 : 0;
                if (run > DigitRunMax)
                {
                    text.Append(ChunkMark);
                    run = 1;
                }
                text.Append(c);
            }
        }
        string result = text.ToString();
        if (Encoding.UTF8.GetByteCount(result) > BytesMax) throw new ArgumentException($"detail is longer than {BytesMax} bytes", nameof(pairs));
        return result;
    }

    /// <summary>The value of <paramref name="key"/> in <paramref name="detail"/>, or null.</summary>
    public static string? Get(string? detail, string key)
    {
        if (string.IsNullOrEmpty(detail)) return null;
        foreach (var range in detail.AsSpan().Split(';'))
        {
            var pair = detail.AsSpan(range);
            int eq = pair.IndexOf('=');
            if (eq > 0 && pair[..eq].SequenceEqual(key)) return pair[(eq + 1)..].ToString().Replace(ChunkMark.ToString(), "", StringComparison.Ordinal);
        }
        return null;
    }
}
