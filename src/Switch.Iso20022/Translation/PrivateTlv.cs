using System.Globalization;
using System.Text;

namespace Switch.Iso20022.Translation;

/// <summary>
/// The switch's TLV for ISO 20022 elements ISO 8583 has no field for, carried in DE 48: repeated
/// <c>TT LLL value</c> — a two-character tag (A–Z, 0–9), a three-digit length and the value, which is printable ASCII
/// with any other character (and '%') percent-encoded as UTF-8 bytes, so names in any script survive an ASCII field.
/// </summary>
public static class PrivateTlv
{
    /// <summary>Most characters one value may take once encoded (the field's own limit applies to the whole).</summary>
    public const int ValueMax = 999;

    /// <summary>Encodes the entries in the order given.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var sb = new StringBuilder();
        foreach (var (tag, value) in entries)
        {
            if (tag.Length != 2 || !tag.All(c => char.IsAsciiDigit(c) || c is >= 'A' and <= 'Z')) throw new ArgumentException($"'{tag}' is not a two-character TLV tag", nameof(entries));
            string encoded = Escape(value);
            if (encoded.Length > ValueMax) throw new Iso20022TranslationException($"the value of TLV tag {tag} is {encoded.Length} characters once encoded, more than {ValueMax}.");
            sb.Append(tag).Append(encoded.Length.ToString("D3", CultureInfo.InvariantCulture)).Append(encoded);
        }
        return sb.ToString();
    }

    /// <summary>Decodes a field into its entries; false when the text is not this TLV (a network's own DE 48 content).</summary>
    public static bool TryDecode(string text, out List<KeyValuePair<string, string>> entries)
    {
        entries = [];
        int i = 0;
        while (i < text.Length)
        {
            if (i + 5 > text.Length) return false;
            string tag = text.Substring(i, 2);
            if (!tag.All(c => char.IsAsciiDigit(c) || c is >= 'A' and <= 'Z')) return false;
            if (!int.TryParse(text.AsSpan(i + 2, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int length)) return false;
            if (i + 5 + length > text.Length) return false;
            string? value = Unescape(text.Substring(i + 5, length));
            if (value is null) return false;
            entries.Add(new(tag, value));
            i += 5 + length;
        }
        return entries.Count > 0;
    }

    private static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in value.EnumerateRunes())
        {
            if (rune.Value is >= 0x20 and <= 0x7E && rune.Value != '%')
            {
                sb.Append((char)rune.Value);
                continue;
            }
            int n = rune.EncodeToUtf8(utf8);
            for (int k = 0; k < n; k++) sb.Append('%').Append(utf8[k].ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static string? Unescape(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal)) return value;
        var bytes = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                bytes.Add((byte)value[i]);
                continue;
            }
            if (i + 2 >= value.Length || !byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b)) return null;
            bytes.Add(b);
            i += 2;
        }
        var span = bytes.ToArray();
        return System.Text.Unicode.Utf8.IsValid(span) ? Encoding.UTF8.GetString(span) : null;
    }
}

/// <summary>A message that cannot be translated (a second transaction, a missing element ISO 8583 requires …); the message is a sentence.</summary>
public sealed class Iso20022TranslationException(string message) : Exception(message);
