namespace Switch.Security.Keys;

/// <summary>The cipher a key belongs to.</summary>
public enum KeyAlgorithm
{
    /// <summary>Triple DES, double (16 bytes) or triple (24 bytes) length.</summary>
    Tdes,
    /// <summary>AES-128, AES-192 or AES-256.</summary>
    Aes,
}

/// <summary>What a key may be used for; the key store and back ends refuse a key of the wrong type.</summary>
public enum KeyType
{
    /// <summary>Zone master key: encrypts working keys exchanged with a peer.</summary>
    Zmk,
    /// <summary>Zone PIN key: PIN blocks between switch and issuer/acquirer.</summary>
    Zpk,
    /// <summary>Terminal PIN key.</summary>
    Tpk,
    /// <summary>PIN verification key (IBM 3624 / Visa PVV).</summary>
    Pvk,
    /// <summary>Card verification key (CVV/CVC).</summary>
    Cvk,
    /// <summary>Terminal authentication (MAC) key.</summary>
    Tak,
    /// <summary>Zone authentication (MAC) key.</summary>
    Zak,
    /// <summary>DUKPT base derivation key.</summary>
    Bdk,
    /// <summary>EMV issuer master key for application cryptograms.</summary>
    ImkAc,
    /// <summary>A key used only by development tools (the <c>crypto</c> verb).</summary>
    Generic,
}

/// <summary>Length rules for each algorithm.</summary>
public static class KeyLengths
{
    /// <summary>Throws a one-line input error unless the key length suits the algorithm.</summary>
    public static void Require(KeyAlgorithm algorithm, int lengthBytes, string field)
    {
        bool ok = algorithm switch
        {
            KeyAlgorithm.Tdes => lengthBytes is 16 or 24,
            KeyAlgorithm.Aes => lengthBytes is 16 or 24 or 32,
            _ => false,
        };
        if (!ok)
        {
            string allowed = algorithm == KeyAlgorithm.Tdes ? "16 or 24" : "16, 24 or 32";
            throw new SecurityInputException($"{field}: a {Name(algorithm)} key must be {allowed} bytes, got {lengthBytes}");
        }
    }

    /// <summary>The algorithm's name as the command line spells it.</summary>
    public static string Name(KeyAlgorithm algorithm) => algorithm == KeyAlgorithm.Tdes ? "tdes" : "aes";

    /// <summary>Parses "tdes" or "aes".</summary>
    public static KeyAlgorithm Parse(string? text, string field) => text?.ToLowerInvariant() switch
    {
        "tdes" or "3des" or "des3" => KeyAlgorithm.Tdes,
        "aes" => KeyAlgorithm.Aes,
        _ => throw new SecurityInputException($"{field}: must be tdes or aes"),
    };

    /// <summary>Block size of the algorithm in bytes.</summary>
    public static int BlockBytes(KeyAlgorithm algorithm) => algorithm == KeyAlgorithm.Tdes ? 8 : 16;
}
