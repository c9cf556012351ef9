using Switch.Iso8583.Tlv;
using Switch.Security;
using Switch.Security.Emv;
using Switch.Security.Keys;

namespace Switch.Simulators.Card;

/// <summary>
/// DE 55 of a chip transaction as the simulators build and check it: BER-TLV with the EMV Book 2 recommended minimum
/// ARQC data (9F02, 9F03, 9F1A, 95, 5F2A, 9A, 9C, 9F37, 82, 9F36, in that order), the ARQC in 9F26 (CID 9F27 = 80),
/// and the PAN sequence number in 5F34.
/// </summary>
public static class EmvData
{
    /// <summary>The tags whose values, concatenated in this order, are the cryptogram's input data.</summary>
    public static readonly IReadOnlyList<string> ArqcInputTags = ["9F02", "9F03", "9F1A", "95", "5F2A", "9A", "9C", "9F37", "82", "9F36"];

    /// <summary>The card-side values of one chip transaction (ATC and unpredictable number vary per transaction).</summary>
    public sealed record ChipTransaction(long AmountMinor, string CurrencyNumeric, DateTime Date, string TransactionType, byte[] Atc, byte[] Un, string Psn);

    /// <summary>Builds DE 55 with a real ARQC from the card's IMK-AC (through the security module).</summary>
    public static async Task<byte[]> BuildAsync(ISecurityTooling module, SecureKey imk, EmvScheme scheme, string pan, ChipTransaction tx, CancellationToken ct)
    {
        var tags = new List<(string Tag, byte[] Value)>
        {
            ("9F02", Bcd(tx.AmountMinor.ToString("D12"))),
            ("9F03", Bcd("000000000000")),
            ("9F1A", Bcd(tx.CurrencyNumeric.PadLeft(4, '0'))),
            ("95", new byte[5]),
            ("5F2A", Bcd(tx.CurrencyNumeric.PadLeft(4, '0'))),
            ("9A", Bcd(tx.Date.ToString("yyMMdd"))),
            ("9C", Bcd(tx.TransactionType)),
            ("9F37", tx.Un),
            ("82", [0x39, 0x00]),
            ("9F36", tx.Atc),
        };
        byte[] data = [.. tags.SelectMany(t => t.Value)];
        byte[] arqc = await module.GenerateArqcAsync(imk, scheme, new EmvCardContext(pan, tx.Psn, tx.Atc, tx.Un), data, ct).ConfigureAwait(false);
        tags.Add(("9F26", arqc));
        tags.Add(("9F27", [0x80]));
        tags.Add(("5F34", Bcd(tx.Psn)));
        return Encode(tags);
    }

    /// <summary>
    /// Checks the ARQC of a DE 55: "valid", "invalid", or "unreadable" (not TLV, or a required tag missing). The data is
    /// rebuilt from the tags' values in <see cref="ArqcInputTags"/> order.
    /// </summary>
    public static async Task<string> VerifyAsync(ISecurityModule module, SecureKey imk, EmvScheme scheme, string pan, ReadOnlyMemory<byte> de55, CancellationToken ct)
    {
        Dictionary<string, ReadOnlyMemory<byte>> values;
        try
        {
            values = BerTlv.Parse(de55).Where(n => n.Children is null).GroupBy(n => n.Tag).ToDictionary(g => g.Key, g => g.First().Value);
        }
        catch (TlvFormatException)
        {
            return "unreadable";
        }
        if (!ArqcInputTags.All(values.ContainsKey) || !values.TryGetValue("9F26", out var arqc) || arqc.Length != 8) return "unreadable";
        string psn = values.TryGetValue("5F34", out var p) && p.Length == 1 ? Convert.ToHexString(p.Span) : "00";
        byte[] data = [.. ArqcInputTags.SelectMany(t => values[t].ToArray())];
        var atc = values["9F36"];
        var un = values["9F37"];
        if (atc.Length != 2 || un.Length != 4) return "unreadable";
        try
        {
            bool ok = await module.VerifyArqcAsync(imk, scheme, new EmvCardContext(pan, psn, atc, un), data, arqc, ct).ConfigureAwait(false);
            return ok ? "valid" : "invalid";
        }
        catch (SecurityInputException)
        {
            return "unreadable";
        }
    }

    private static byte[] Bcd(string digits) => Convert.FromHexString(digits.Length % 2 == 1 ? "0" + digits : digits);

    /// <summary>Primitive tags with short (under 128-byte) values, in order.</summary>
    private static byte[] Encode(List<(string Tag, byte[] Value)> tags)
    {
        var output = new List<byte>();
        foreach (var (tag, value) in tags)
        {
            output.AddRange(Convert.FromHexString(tag));
            output.Add((byte)value.Length);
            output.AddRange(value);
        }
        return [.. output];
    }
}
