namespace Switch.Common.Masking;

/// <summary>
/// The one PAN masker (PCI DSS 3.4): the first 6 and last 4 digits stay, the rest become '*'. Numbers too short to
/// keep 10 digits without revealing most of them (fewer than 13) keep only the last 4; 4 or fewer are all masked.
/// </summary>
public static class PanMask
{
    /// <summary>The masked form of <paramref name="pan"/>.</summary>
    public static string Mask(ReadOnlySpan<char> pan)
    {
        if (pan.Length <= 4) return new string('*', pan.Length);
        if (pan.Length < 13) return string.Concat(new string('*', pan.Length - 4), pan[^4..]);
        return string.Concat(pan[..6], new string('*', pan.Length - 10), pan[^4..]);
    }

    /// <summary>The masked form of <paramref name="pan"/>; "" for null.</summary>
    public static string Mask(string? pan) => pan is null ? "" : Mask(pan.AsSpan());
}
