namespace Switch.Security.Mac;

/// <summary>MAC algorithms the switch supports.</summary>
public enum MacAlgorithm
{
    /// <summary>ISO 9797-1 algorithm 1: CBC-MAC with the whole TDES key.</summary>
    Iso9797Alg1,
    /// <summary>ISO 9797-1 algorithm 3 (ANSI X9.19 retail MAC): single-DES CBC with K1, then D(K2), E(K1).</summary>
    Iso9797Alg3,
    /// <summary>AES-CMAC (NIST SP 800-38B, RFC 4493).</summary>
    AesCmac,
    /// <summary>TDES-CMAC (NIST SP 800-38B).</summary>
    TdesCmac,
}

/// <summary>ISO 9797-1 padding methods for the CBC-MAC algorithms.</summary>
public enum MacPadding
{
    /// <summary>Method 1: zero bytes to a block boundary.</summary>
    Method1 = 1,
    /// <summary>Method 2: one 0x80 byte, then zeros to a block boundary.</summary>
    Method2 = 2,
}

/// <summary>Command-line names of the MAC algorithms.</summary>
public static class MacAlgorithms
{
    /// <summary>Parses iso9797-1-alg1|iso9797-1-alg3|aes-cmac|tdes-cmac.</summary>
    public static MacAlgorithm Parse(string? text) => text?.ToLowerInvariant() switch
    {
        "iso9797-1-alg1" => MacAlgorithm.Iso9797Alg1,
        "iso9797-1-alg3" => MacAlgorithm.Iso9797Alg3,
        "aes-cmac" => MacAlgorithm.AesCmac,
        "tdes-cmac" => MacAlgorithm.TdesCmac,
        _ => throw new SecurityInputException("alg: must be iso9797-1-alg1, iso9797-1-alg3, aes-cmac or tdes-cmac"),
    };

    /// <summary>Parses padding "1" or "2" (default 1 when absent).</summary>
    public static MacPadding ParsePadding(string? text) => text switch
    {
        null or "" or "1" => MacPadding.Method1,
        "2" => MacPadding.Method2,
        _ => throw new SecurityInputException("padding: must be 1 or 2"),
    };

    /// <summary>The key algorithm a MAC algorithm needs.</summary>
    public static Keys.KeyAlgorithm KeyAlgorithm(MacAlgorithm alg) => alg == MacAlgorithm.AesCmac ? Keys.KeyAlgorithm.Aes : Keys.KeyAlgorithm.Tdes;

    /// <summary>Length of the full MAC block in bytes.</summary>
    public static int MacBytes(MacAlgorithm alg) => alg == MacAlgorithm.AesCmac ? 16 : 8;
}
