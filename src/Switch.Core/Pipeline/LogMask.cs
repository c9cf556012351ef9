namespace Switch.Core.Pipeline;

/// <summary>
/// Masks text for logs that may quote message content (an exception's message): any run of 12 to 19 digits — a PAN —
/// keeps its first 6 and last 4, as <see cref="Switch.Common.Masking.PanMask"/> does; track data loses everything after its separator.
/// </summary>
public static class LogMask
{
    /// <summary>The text with every PAN-like digit run masked.</summary>
    public static string Mask(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var chars = text.ToCharArray();
        int i = 0;
        while (i < chars.Length)
        {
            if (!char.IsAsciiDigit(chars[i]))
            {
                i++;
                continue;
            }
            int start = i;
            while (i < chars.Length && char.IsAsciiDigit(chars[i])) i++;
            int length = i - start;
            if (length >= 12)
            {
                for (int j = start + 6; j < i - 4; j++) chars[j] = '*';
                // Track 2 after a PAN: expiry, service code, PVV and CVV follow the separator.
                if (i < chars.Length && chars[i] is '=' or 'D')
                {
                    int k = i + 1;
                    while (k < chars.Length && char.IsAsciiDigit(chars[k])) chars[k++] = '*';
                    i = k;
                }
            }
        }
        return new string(chars);
    }
}
