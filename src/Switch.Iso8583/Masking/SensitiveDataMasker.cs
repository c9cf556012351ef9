using System.Text;
using System.Text.Json;
using Switch.Common.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Tlv;

namespace Switch.Iso8583.Masking;

/// <summary>
/// The one formatter every log line, journal record and display uses for card data. Which fields carry card data is
/// declared in the spec (<see cref="FieldSpec.Sensitivity"/>): a PAN is shown first 6 / last 4 (<see cref="PanMask"/>),
/// track data as the masked PAN only, secrets (PIN block, security data, CVVs) removed, and the card-identifying EMV
/// tags masked or removed. Nothing here can be configured to show more.
/// </summary>
public static class SensitiveDataMasker
{
    /// <summary>What a removed value is replaced with.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>EMV tags masked as PANs: application PAN.</summary>
    private static readonly HashSet<string> PanTags = ["5A"];

    /// <summary>EMV tags removed: track 1/2 equivalents and discretionary data, cardholder name.</summary>
    private static readonly HashSet<string> RemovedTags = ["57", "56", "5F20", "9F1F", "9F20", "9F6B", "9F0B"];

    /// <summary>Masks track data: the PAN before the separator masked, everything after it removed.</summary>
    public static string MaskTrack(ReadOnlySpan<char> track)
    {
        var t = track.TrimStart('%').TrimStart('B').TrimStart(';');
        int sep = t.IndexOfAny('=', '^', 'D');
        var pan = sep < 0 ? t : t[..sep];
        return PanMask.Mask(pan) + "=" + Redacted;
    }

    /// <summary>The display form of one value of a field, as the field's spec declares it sensitive.</summary>
    public static string MaskField(FieldSpec field, string value) => field.Sensitivity switch
    {
        Sensitivity.Pan => PanMask.Mask(value),
        Sensitivity.Track => MaskTrack(value),
        Sensitivity.Secret => Redacted,
        Sensitivity.Emv => MaskEmvHex(value),
        _ => value,
    };

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
                sb.Append(PanMask.Mask(Convert.ToHexString(node.Value.Span).TrimEnd('F')));
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
            var fs = message.Spec[field]!;
            if (fs.Sensitivity == Sensitivity.Secret)
            {
                writer.WriteString(key, Redacted);
                continue;
            }
            if (fs.Subfields is not null)
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
                value = MaskField(fs, message.GetString(field)!);
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
