using System.Text;
using System.Text.Json;
using Switch.Iso8583.Message;
using Switch.Iso8583.Tlv;

namespace Switch.Iso8583.Masking;

/// <summary>
/// The one formatter every log line, journal record and display uses for card data: PAN first 6 /
/// last 4, track data reduced to the masked PAN, PIN blocks, security data and CVVs removed, and the
/// card-identifying EMV tags in DE 55 masked. Nothing here can be configured to show more.
/// </summary>
public static class SensitiveDataMasker
{
    /// <summary>What a removed value is replaced with.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>Fields holding a PAN.</summary>
    private static readonly HashSet<int> PanFields = [2, 34];

    /// <summary>Fields holding track data.</summary>
    private static readonly HashSet<int> TrackFields = [35, 36, 45];

    /// <summary>Fields removed outright: PIN block, security control data, and fields that carry CVV2/CVC2 in common dialects.</summary>
    private static readonly HashSet<int> RemovedFields = [52, 53, 96, 110, 111];

    /// <summary>EMV tags masked as PANs: application PAN.</summary>
    private static readonly HashSet<string> PanTags = ["5A"];

    /// <summary>EMV tags removed: track 1/2 equivalents and discretionary data, cardholder name.</summary>
    private static readonly HashSet<string> RemovedTags = ["57", "56", "5F20", "9F1F", "9F20", "9F6B", "9F0B"];

    /// <summary>Masks a PAN to first 6 / last 4 (shorter numbers keep only the last 4).</summary>
    public static string MaskPan(ReadOnlySpan<char> pan)
    {
        if (pan.Length <= 4) return new string('*', pan.Length);
        if (pan.Length < 13) return string.Concat(new string('*', pan.Length - 4), pan[^4..]);
        return string.Concat(pan[..6], new string('*', pan.Length - 10), pan[^4..]);
    }

    /// <summary>Masks track data: the PAN before the separator masked, everything after it removed.</summary>
    public static string MaskTrack(ReadOnlySpan<char> track)
    {
        var t = track.TrimStart('%').TrimStart('B').TrimStart(';');
        int sep = t.IndexOfAny('=', '^', 'D');
        var pan = sep < 0 ? t : t[..sep];
        return MaskPan(pan) + "=" + Redacted;
    }

    /// <summary>The display form of one field's value.</summary>
    public static string MaskField(int field, string value)
    {
        if (PanFields.Contains(field)) return MaskPan(value);
        if (TrackFields.Contains(field)) return MaskTrack(value);
        if (RemovedFields.Contains(field)) return Redacted;
        if (field == 55) return MaskEmvHex(value);
        return value;
    }

    /// <summary>DE 55 (hex of BER-TLV) with card-identifying tags masked or removed; unparseable data is removed.</summary>
    public static string MaskEmvHex(string hex)
    {
        byte[] bytes;
        IReadOnlyList<TlvNode> nodes;
        try
        {
            bytes = Convert.FromHexString(hex);
            nodes = BerTlv.Parse(bytes);
        }
        catch (Exception ex) when (ex is FormatException or TlvFormatException)
        {
            return Redacted;
        }
        var sb = new StringBuilder();
        AppendTags(nodes, sb);
        return sb.ToString();
    }

    private static void AppendTags(IReadOnlyList<TlvNode> nodes, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            if (sb.Length > 0 && sb[^1] != '{') sb.Append(' ');
            sb.Append(node.Tag).Append('=');
            if (node.Children is not null)
            {
                sb.Append('{');
                AppendTags(node.Children, sb);
                sb.Append('}');
            }
            else if (PanTags.Contains(node.Tag))
            {
                sb.Append(MaskPan(Convert.ToHexString(node.Value.Span).TrimEnd('F')));
            }
            else if (RemovedTags.Contains(node.Tag))
            {
                sb.Append(Redacted);
            }
            else
            {
                sb.Append(Convert.ToHexString(node.Value.Span));
            }
        }
    }

    /// <summary>A message as one-line JSON with every sensitive value masked; safe to log.</summary>
    public static string ToMaskedJson(IsoMessage message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, IsoJson.WriterOptions)) WriteMasked(message, writer);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>A value of a lazily decoded message, or a marker when its bytes are malformed.</summary>
    private static string? Readable(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (IsoFormatException)
        {
            return "[unreadable]";
        }
    }

    private static void WriteMasked(IsoMessage message, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (message.Spec.Mti is not null) writer.WriteString("mti", Readable(() => message.Mti));
        writer.WriteStartObject("fields");
        foreach (int field in message.Fields)
        {
            string key = field.ToString();
            if (message.Spec[field]!.Subfields is not null)
            {
                // Sub-fields may carry anything (CVV2 in DE 126 and the like): show only which are present.
                IsoMessage sub;
                try
                {
                    sub = message.GetSubMessage(field)!;
                }
                catch (IsoFormatException)
                {
                    // A lazily decoded message may hold a malformed sub-message; the log line must still be written.
                    writer.WriteString(key, "[unreadable]");
                    continue;
                }
                writer.WritePropertyName(key);
                writer.WriteStartObject();
                writer.WriteStartArray("present");
                foreach (int s in sub.Fields) writer.WriteNumberValue(s);
                writer.WriteEndArray();
                writer.WriteEndObject();
                continue;
            }
            string value;
            try
            {
                value = MaskField(field, message.GetString(field)!);
            }
            catch (IsoFormatException)
            {
                value = "[unreadable]";
            }
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
