namespace Switch.Security.Pin;

/// <summary>ISO 9564-1 PIN block formats.</summary>
public enum PinBlockFormat
{
    /// <summary>Format 0 (ANSI X9.8): PIN field XOR PAN field, TDES.</summary>
    Iso0 = 0,
    /// <summary>Format 1: PIN with random fill, no PAN.</summary>
    Iso1 = 1,
    /// <summary>Format 3: like format 0 with random A–F fill.</summary>
    Iso3 = 3,
    /// <summary>Format 4 (ISO 9564-1:2017): 16-byte AES block, PIN and PAN fields combined by encipherment.</summary>
    Iso4 = 4,
}

/// <summary>Parsing and properties of <see cref="PinBlockFormat"/>.</summary>
public static class PinBlockFormats
{
    /// <summary>Parses "0", "1", "3" or "4".</summary>
    public static PinBlockFormat Parse(string? text, string field = "format") => text switch
    {
        "0" => PinBlockFormat.Iso0,
        "1" => PinBlockFormat.Iso1,
        "3" => PinBlockFormat.Iso3,
        "4" => PinBlockFormat.Iso4,
        _ => throw new SecurityInputException($"{field}: must be 0, 1, 3 or 4"),
    };

    /// <summary>Block length in bytes: 16 for format 4, else 8.</summary>
    public static int BlockBytes(PinBlockFormat format) => format == PinBlockFormat.Iso4 ? 16 : 8;

    /// <summary>True when the format binds the PAN into the block.</summary>
    public static bool UsesPan(PinBlockFormat format) => format != PinBlockFormat.Iso1;
}
