namespace Switch.Security.Keys;

/// <summary>
/// Refuses DES keys an HSM refuses: the 4 weak and 12 semi-weak DES keys (FIPS 74, in any 8-byte part of a TDES key)
/// and TDES keys that collapse to single-DES strength (K1 = K2, or K2 = K3 for triple length). Parity bits are
/// ignored, as DES ignores them.
/// </summary>
public static class WeakKeys
{
    // Weak and semi-weak keys with their parity bits (the low bit of each byte) cleared.
    private static readonly ulong[] Weak = Build(
        "0101010101010101", "FEFEFEFEFEFEFEFE", "E0E0E0E0F1F1F1F1", "1F1F1F1F0E0E0E0E",
        "011F011F010E010E", "1F011F010E010E01", "01E001E001F101F1", "E001E001F101F101",
        "01FE01FE01FE01FE", "FE01FE01FE01FE01", "1FE01FE00EF10EF1", "E01FE01FF10EF10E",
        "1FFE1FFE0EFE0EFE", "FE1FFE1FFE0EFE0E", "E0FEE0FEF1FEF1FE", "FEE0FEE0FEF1FEF1");

    /// <summary>Throws a one-line input error naming <paramref name="field"/> when a TDES key is weak; AES keys pass.</summary>
    public static void Refuse(KeyAlgorithm algorithm, ReadOnlySpan<byte> key, string field)
    {
        if (algorithm != KeyAlgorithm.Tdes || key.Length is not (16 or 24)) return;
        ulong k1 = Part(key, 0), k2 = Part(key, 1);
        for (int i = 0; i < key.Length / 8; i++)
        {
            if (Array.IndexOf(Weak, Part(key, i)) >= 0) throw new SecurityInputException($"{field}: a weak or semi-weak DES key (part {i + 1}); an HSM refuses it", SecurityInputProblem.Key);
        }
        if (k1 == k2) throw new SecurityInputException($"{field}: both halves of the TDES key are equal (single-DES strength); an HSM refuses it", SecurityInputProblem.Key);
        if (key.Length == 24 && k2 == Part(key, 2)) throw new SecurityInputException($"{field}: the second and third parts of the TDES key are equal (single-DES strength); an HSM refuses it", SecurityInputProblem.Key);
    }

    private static ulong Part(ReadOnlySpan<byte> key, int index) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(key.Slice(index * 8, 8)) & 0xFEFEFEFEFEFEFEFEUL;

    private static ulong[] Build(params string[] hex) =>
        [.. hex.Select(h => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(h)) & 0xFEFEFEFEFEFEFEFEUL)];
}
