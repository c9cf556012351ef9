using System.Text;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>
/// Builds random valid messages of any spec from a seed (so a failing FsCheck case is reproducible from its
/// seed): random fields present, every value valid for its field, fixed fields given whole.
/// </summary>
internal static class RandomMessages
{
    /// <summary>Longest variable value generated, in units, so messages stay well under 64 KiB.</summary>
    private const int VariableUnitsMax = 40;

    public static IsoMessage Build(MessageSpec spec, int seed)
    {
        var rnd = new Random(seed);
        return Build(spec, rnd, rnd.NextDouble() * 0.6, whole: false);
    }

    private static IsoMessage Build(MessageSpec spec, Random rnd, double density, bool whole)
    {
        var msg = new IsoMessage(spec);
        if (spec.HeaderLength > 0) msg.SetHeader(Bytes(rnd, spec.HeaderLength));
        if (spec.Mti is { } mti) msg.Mti = Value(mti, rnd);
        var data = spec.Fields.Where(f => spec.IsDataField(f.Number)).ToList();
        if (!spec.HasBitmap)
        {
            // Fixed positions: a run of leading sub-fields, all present (an absent one in between would be
            // written padded and read back as present).
            int count = whole ? data.Count : rnd.Next(1, data.Count + 1);
            foreach (var f in data.Take(count)) Put(msg, f, rnd);
            return msg;
        }
        foreach (var f in data)
        {
            if (rnd.NextDouble() < density) Put(msg, f, rnd);
        }
        return msg;
    }

    private static void Put(IsoMessage msg, FieldSpec f, Random rnd)
    {
        // A fixed-length carrier needs every fixed-position sub-field to fill it exactly.
        if (f.Subfields is { } sub) msg.SetSubMessage(f.Number, Build(sub, rnd, 0.5, whole: f.Prefix.IsFixed));
        else msg.Set(f.Number, Value(f, rnd));
    }

    public static string Value(FieldSpec f, Random rnd)
    {
        if (f.Tlv) return Convert.ToHexString(Tlv(rnd, Math.Min(f.Length, 60)));
        int units = f.Prefix.IsFixed ? f.Length : rnd.Next(0, Math.Min(f.Length, VariableUnitsMax) + 1);
        if (f.PrefixCountsBytes)
        {
            // A prefix that counts wire bytes can only express lengths that fill whole bytes, within its maximum.
            while (units > 0 && (f.Encoding.UnitsInWire(f.Encoding.WireBytes(units)) != units || f.Encoding.WireBytes(units) > f.Prefix.MaxValue)) units--;
        }
        if (f.Encoding is AmountEncoding && units < 1) units = 1;
        return f.Encoding switch
        {
            TextEncoding when f.Type == FieldType.Numeric && rnd.Next(2) == 0 => Chars(rnd, units, "0123456789"),
            TextEncoding => Latin1(rnd, units),
            BcdEncoding { AllowSeparator: true } => Chars(rnd, units, "01234567890123456789="),
            BcdEncoding => Chars(rnd, units, "0123456789"),
            BinaryEncoding or HexTextEncoding => Convert.ToHexString(Bytes(rnd, units)),
            // The sign is byte-transparent: C and D mostly, any character sometimes (jPOS writes '0' there).
            AmountEncoding => rnd.Next(3) switch { 0 => "C", 1 => "D", _ => Latin1(rnd, 1) } + Chars(rnd, Math.Max(units - 1, 0), "0123456789"),
            _ => throw new InvalidOperationException($"no generator for {f.Encoding.Name}"),
        };
    }

    private static string Latin1(Random rnd, int n)
    {
        var chars = new char[n];
        for (int i = 0; i < n; i++) chars[i] = (char)rnd.Next(0, 256);
        return new string(chars);
    }

    private static string Chars(Random rnd, int n, string alphabet)
    {
        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.Append(alphabet[rnd.Next(alphabet.Length)]);
        return sb.ToString();
    }

    public static byte[] Bytes(Random rnd, int n)
    {
        var b = new byte[n];
        rnd.NextBytes(b);
        return b;
    }

    /// <summary>Well-formed EMV-style TLV of at most <paramref name="budget"/> bytes.</summary>
    public static byte[] Tlv(Random rnd, int budget)
    {
        var output = new List<byte>();
        string[] tags = ["9F02", "9F26", "82", "95", "9A", "9C", "5F2A", "DF8101"];
        // One object takes at most 10 bytes (padding byte, 3-byte tag, length, 5-byte value): stay within the budget.
        while (output.Count + 10 <= budget && rnd.Next(5) != 0)
        {
            if (rnd.Next(6) == 0) output.Add(0x00); // padding between objects
            byte[] tag = Convert.FromHexString(tags[rnd.Next(tags.Length)]);
            byte[] value = Bytes(rnd, rnd.Next(0, 6));
            output.AddRange(tag);
            output.Add((byte)value.Length);
            output.AddRange(value);
        }
        return output.ToArray();
    }
}
