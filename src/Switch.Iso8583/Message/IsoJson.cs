using System.Text.Encodings.Web;
using System.Text.Json;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Message;

/// <summary>
/// The JSON form of a message: <c>{"header":"…","mti":"0200","fields":{"2":"…","127":{"fields":{…}}}}</c>.
/// Values are shown in the clear; callers that log must use <see cref="Masking.SensitiveDataMasker"/>.
/// </summary>
public static class IsoJson
{
    /// <summary>Writer options: compact, non-ASCII characters kept readable, control characters escaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Writes a message as one JSON object.</summary>
    public static void Write(IsoMessage message, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (message.Spec.HeaderLength > 0) writer.WriteString("header", Convert.ToHexString(message.Header));
        if (message.Spec.Mti is not null) writer.WriteString("mti", message.Mti);
        writer.WriteStartObject("fields");
        foreach (int field in message.Fields)
        {
            string key = field.ToString();
            if (message.Spec[field]!.Subfields is not null)
            {
                writer.WritePropertyName(key);
                Write(message.GetSubMessage(field)!, writer);
            }
            else
            {
                writer.WriteString(key, message.GetString(field));
            }
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The message as a compact JSON string.</summary>
    public static string ToJson(IsoMessage message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions)) Write(message, writer);
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Builds a message from its JSON form; errors name the field.</summary>
    public static IsoMessage Read(JsonElement root, MessageSpec spec)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new IsoFormatException("the message must be a JSON object");
        var message = new IsoMessage(spec);
        // JSON lets the last of two equal keys win; a message with two MTIs or two DE 4s is refused instead.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name))
                throw new IsoFormatException($"duplicate key '{p.Name}' in a {(spec.IsSubMessage ? "sub-message" : "message")} of spec {spec.Name}");
            switch (p.Name)
            {
                case "mti" when spec.Mti is not null:
                    message.Mti = StringValue(p.Value, 0);
                    break;
                case "header" when spec.HeaderLength > 0:
                    message.SetHeader(HexValue(p.Value));
                    break;
                case "fields":
                    ReadFields(p.Value, spec, message);
                    break;
                default:
                    throw new IsoFormatException($"unexpected key '{p.Name}' in a {(spec.IsSubMessage ? "sub-message" : "message")} of spec {spec.Name}");
            }
        }
        if (spec.Mti is not null && message.Mti is null) throw new IsoFormatException("'mti' is required", 0);
        if (spec.HeaderLength > 0 && message.Header.IsEmpty) throw new IsoFormatException($"'header' is required ({spec.HeaderLength} bytes as hex)");
        return message;
    }

    /// <summary>Parses JSON text into a message.</summary>
    public static IsoMessage Parse(string json, MessageSpec spec)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            return Read(doc.RootElement, spec);
        }
        catch (JsonException ex)
        {
            throw new IsoFormatException($"invalid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {SpecJson.JsonProblem(ex)}");
        }
    }

    private static void ReadFields(JsonElement fields, MessageSpec spec, IsoMessage message)
    {
        if (fields.ValueKind != JsonValueKind.Object) throw new IsoFormatException("'fields' must be a JSON object");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in fields.EnumerateObject())
        {
            if (!seen.Add(f.Name)) throw new IsoFormatException($"duplicate key '{f.Name}' in 'fields'");
            if (!int.TryParse(f.Name, out int number) || number is < 0 or > 192 || f.Name != number.ToString())
                throw new IsoFormatException($"'{f.Name}' is not a field number (0..192, no leading zeros)");
            var fs = spec[number];
            if (fs?.Subfields is not null)
            {
                if (f.Value.ValueKind != JsonValueKind.Object) throw new IsoFormatException("a field with sub-fields must be a JSON object", number);
                IsoMessage sub;
                try
                {
                    sub = Read(f.Value, fs.Subfields);
                }
                catch (IsoFormatException ex)
                {
                    throw new IsoFormatException($"sub-field {(ex.Field < 0 ? "" : ex.Field + ": ")}{ex.Reason}", number);
                }
                message.SetSubMessage(number, sub);
                continue;
            }
            message.Set(number, StringValue(f.Value, number));
        }
    }

    private static string StringValue(JsonElement v, int field)
    {
        if (v.ValueKind != JsonValueKind.String) throw new IsoFormatException("value must be a JSON string", field);
        return v.GetString()!;
    }

    private static byte[] HexValue(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String) throw new IsoFormatException("'header' must be a hex string");
        try
        {
            return Convert.FromHexString(v.GetString()!);
        }
        catch (FormatException)
        {
            throw new IsoFormatException("'header' is not valid hex");
        }
    }
}
