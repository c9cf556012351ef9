using System.Text;

namespace Switch.Iso8583.Tests;

/// <summary>
/// Random but valid JSON specs: every combination of encoding, prefix digits, prefix encoding, prefix
/// counting, padding, bitmap size and form, header and sub-fields that the spec format allows.
/// </summary>
internal static class RandomSpecs
{
    private static readonly string[] Text = ["ascii", "ebcdic", "ebcdic-037", "ebcdic-500", "ebcdic-1047"];
    private static readonly string[] PrefixEncodings = ["ascii", "ebcdic", "bcd", "binary"];

    public static string Json(int seed)
    {
        var rnd = new Random(seed);
        var sb = new StringBuilder();
        sb.Append("{\"name\":\"random-").Append(seed).Append('"');
        if (rnd.Next(3) == 0) sb.Append(",\"headerLength\":").Append(rnd.Next(1, 5));
        sb.Append(",\"fields\":{");
        sb.Append("\"0\":{\"type\":\"numeric\",\"length\":4,\"encoding\":\"").Append(Pick(rnd, ["ascii", "ebcdic-037", "bcd"])).Append("\"},");
        int bitmapBytes = Pick(rnd, [8, 16, 24]);
        sb.Append("\"1\":{\"type\":\"bitmap\",\"length\":").Append(bitmapBytes).Append(",\"encoding\":\"").Append(Pick(rnd, ["binary", "ascii-hex", "ebcdic-hex"])).Append("\"}");
        int maxField = 64 * (bitmapBytes / 8);
        foreach (int n in Enumerable.Range(2, maxField - 1).Where(_ => rnd.Next(4) == 0))
        {
            if (n == 65 && bitmapBytes == 24) continue;
            sb.Append(",\"").Append(n).Append("\":").Append(Field(rnd, depth: 0));
        }
        sb.Append("}}");
        return sb.ToString();
    }

    private static T Pick<T>(Random rnd, T[] items) => items[rnd.Next(items.Length)];

    private static string Field(Random rnd, int depth)
    {
        if (depth < 2 && rnd.Next(12) == 0) return Composite(rnd, depth);
        string type = Pick(rnd, ["numeric", "numeric", "string", "string", "binary", "amount"]);
        string encoding = type switch
        {
            "numeric" => Pick(rnd, [.. Text, "bcd", "bcd"]),
            "string" => Pick(rnd, Text),
            "binary" => Pick(rnd, ["binary", "ascii-hex", "ebcdic-hex"]),
            _ => Pick(rnd, ["bcd", "ascii", "ebcdic-037"]),
        };
        var sb = new StringBuilder("{\"type\":\"").Append(type).Append("\",\"encoding\":\"").Append(encoding).Append('"');
        bool variable = rnd.Next(2) == 0;
        int length;
        if (variable)
        {
            int digits = rnd.Next(1, 7);
            string prefixEncoding = Pick(rnd, PrefixEncodings);
            int prefixBytes = prefixEncoding == "binary" ? Math.Min(rnd.Next(1, 4), 3) : 0;
            bool countsBytes = rnd.Next(4) == 0;
            long max = prefixEncoding == "binary" ? (1L << (8 * prefixBytes)) - 1 : (long)Math.Pow(10, digits) - 1;
            length = (int)Math.Min(max, rnd.Next(type == "amount" ? 2 : 1, 120));
            sb.Append(",\"prefix\":\"").Append(new string('L', digits)).Append("\",\"prefixEncoding\":\"").Append(prefixEncoding).Append('"');
            if (prefixBytes > 0) sb.Append(",\"prefixBytes\":").Append(prefixBytes);
            if (countsBytes) sb.Append(",\"prefixCounts\":\"bytes\"");
        }
        else
        {
            length = rnd.Next(type == "amount" ? 2 : 1, 25);
        }
        sb.Append(",\"length\":").Append(length);
        if (encoding == "bcd")
        {
            sb.Append(",\"pad\":\"").Append(Pick(rnd, ["left", "right"])).Append('"');
            if (rnd.Next(3) == 0) sb.Append(",\"padNibble\":\"F\"");
        }
        else if (type is "string" or "numeric" && rnd.Next(3) == 0)
        {
            sb.Append(",\"pad\":\"").Append(Pick(rnd, ["left", "right"])).Append("\",\"padChar\":\"").Append(Pick(rnd, ["0", " ", "*", "F"])).Append('"');
        }
        if (type == "amount" && rnd.Next(2) == 0) sb.Append(",\"signEncoding\":\"").Append(Pick(rnd, Text)).Append('"');
        if (type == "binary" && encoding == "binary" && variable && rnd.Next(3) == 0) sb.Append(",\"tlv\":true");
        return sb.Append('}').ToString();
    }

    private static string Composite(Random rnd, int depth)
    {
        string kind = Pick(rnd, ["bitmap1", "bitmap0", "fixed"]);
        var sub = new StringBuilder("{");
        if (rnd.Next(3) == 0) sub.Append("\"headerLength\":").Append(rnd.Next(1, 3)).Append(',');
        sub.Append("\"fields\":{");
        var fields = new List<string>();
        int first = 1;
        if (kind == "bitmap1") { fields.Add("\"1\":{\"type\":\"bitmap\",\"length\":8,\"encoding\":\"binary\"}"); first = 2; }
        if (kind == "bitmap0") fields.Add("\"0\":{\"type\":\"bitmap\",\"length\":" + rnd.Next(1, 4) + ",\"encoding\":\"" + Pick(rnd, ["binary", "ascii-hex"]) + "\"}");
        int count = rnd.Next(1, 5);
        for (int n = first; n < first + count; n++) fields.Add($"\"{n}\":" + Field(rnd, depth + 1));
        sub.Append(string.Join(",", fields)).Append("}}");
        string carrier = Pick(rnd, ["binary", "ascii", "ebcdic-500"]);
        return "{\"type\":\"composite\",\"length\":999,\"prefix\":\"LLL\",\"prefixEncoding\":\"" + Pick(rnd, PrefixEncodings)
            + "\",\"encoding\":\"" + carrier + "\",\"subfields\":" + sub + "}";
    }
}
