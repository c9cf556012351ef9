using System.Xml;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso20022.Translation;

/// <summary>
/// ISO 20022 ⇄ ISO 8583 (tables in docs/iso20022-mapping.md): pacs.008 ⇄ 0200, pacs.002 ⇄ 0210, camt.056 / pacs.004 ⇄
/// 0420, cain.001/002 ⇄ 0100/0110, cain.005/006 ⇄ 0400/0410. Elements ISO 8583 has no field for travel in the DE 48
/// TLV (<see cref="PrivateTlv"/>); ISO 8583 fields ISO 20022 has no element for travel in the message's extension point
/// (SplmtryData or PrvtData), so both round trips keep what they map.
/// </summary>
public static class Iso8583Translator
{
    /// <summary>Namespace of the extension block that carries ISO 8583 fields inside an ISO 20022 message.</summary>
    public const string ExtensionNamespace = "urn:switch:iso8583:1";

    /// <summary>The private-use field that carries the TLV.</summary>
    public const int TlvField = 48;

    /// <summary>The private-use fields the TLV continues in when DE 48 is full (a maximal CBPR+ payment needs more than 999 characters).</summary>
    public static readonly int[] TlvOverflowFields = [62, 63];

    // Fields never copied into an ISO 20022 message: PIN block, track data, security and EMV data.
    private static readonly HashSet<int> NotCarried = [35, 36, 45, 52, 53, 55, 96, 110, 111];

    internal static readonly Mapping[] Mappings =
    [
        new CreditTransferMapping(), new StatusReportMapping(), new CancellationMapping(), new ReturnMapping(),
        new CardMapping("cain.001", "AuthstnInitn", "0100"), new CardMapping("cain.002", "AuthstnRspn", "0110"),
        new CardMapping("cain.005", "RvslInitn", "0400"), new CardMapping("cain.006", "RvslRspn", "0410"),
    ];

    /// <summary>The ISO 20022 message types that translate ("pacs.008", …).</summary>
    public static IReadOnlyList<string> Types { get; } = Mappings.Select(m => m.Type).ToList();

    /// <summary>Translates a validated ISO 20022 document into an ISO 8583 message of the given spec.</summary>
    public static IsoMessage ToIso8583(Iso20022Document document, MessageSpec spec)
    {
        var mapping = Mappings.FirstOrDefault(m => m.Type == document.MessageType)
            ?? throw new Iso20022TranslationException($"{document.MessageName} has no ISO 8583 mapping; translated are {string.Join(", ", Types)}.");
        if (mapping.TransactionPath is { } tx && document.Count(tx) > 1)
            throw new Iso20022TranslationException($"the {document.MessageName} holds {document.Count(tx)} transactions; an ISO 8583 message carries one.");
        var message = Build(mapping, document.MessageName, document.Value, spec);
        ApplyExtension(mapping, document, message);
        return message;
    }

    /// <summary>Translates an ISO 8583 message into a schema-valid ISO 20022 document (UTF-8 XML); the result is validated by <paramref name="reader"/>.</summary>
    public static byte[] ToIso20022(IsoMessage message, Iso20022Reader? reader = null)
    {
        reader ??= Iso20022Reader.Default;
        var values = new Values();
        var (mapping, name) = Choose(message, values, reader.Catalog);
        mapping.Defaults(message, values);
        ApplyTlv(mapping, message, values);
        mapping.FromIso8583(message, Build(mapping, name, values.Get, message.Spec, quiet: true), values);
        var extension = ExtensionOf(message, Build(mapping, name, values.Get, message.Spec, quiet: true));
        byte[] xml = Write(mapping, name, values, extension);
        if (!reader.TryRead(xml, out _, out var error))
            throw new Iso20022TranslationException($"the {message.Mti} does not make a valid {name}: {error!.Errors[0].Message}");
        return xml;
    }

    private static (Mapping, string) Choose(IsoMessage message, Values values, SchemaCatalog catalog)
    {
        string mti = message.Mti ?? throw new Iso20022TranslationException("the ISO 8583 message has no MTI.");
        string first = mti.Length == 4 && mti[3] is '1' or '3' or '5' ? mti[..3] + (char)(mti[3] - 1) : mti;
        string? named = ReadTlv(message).FirstOrDefault(e => e.Key == "MN").Value;
        var candidates = Mappings.Where(m => m.Mti == first).ToList();
        if (candidates.Count == 0)
            throw new Iso20022TranslationException($"MTI {mti} has no ISO 20022 mapping; translated are 0100, 0110, 0200, 0210, 0400, 0410 and 0420.");
        var mapping = named is not null && candidates.FirstOrDefault(m => named.StartsWith(m.Type, StringComparison.Ordinal)) is { } byName ? byName : candidates[0];
        string name = named is not null && named.StartsWith(mapping.Type, StringComparison.Ordinal) && catalog.Supports(SchemaCatalog.NamespacePrefix + named) ? named : mapping.DefaultName;
        values.Clear();
        return (mapping, name);
    }

    private static IsoMessage Build(Mapping mapping, string name, Func<string, string?> get, MessageSpec spec, bool quiet = false)
    {
        var message = spec.NewMessage(mapping.Mti);
        try
        {
            mapping.ToIso8583(get, message);
            var tlv = new List<KeyValuePair<string, string>> { new("MN", name) };
            foreach (var (tag, path) in mapping.Carried)
                if (get(path) is { } value) tlv.Add(new(tag, value));
            PutTlv(message, spec, tlv);
        }
        catch (Iso20022TranslationException) when (quiet)
        {
            // A probe of incomplete values: what did translate is enough to compare.
        }
        return message;
    }

    /// <summary>Entries in DE 48, continued whole in DE 62 and DE 63 when a field is full; refused when all three are.</summary>
    private static void PutTlv(IsoMessage message, MessageSpec spec, List<KeyValuePair<string, string>> tlv)
    {
        int next = 0;
        int total = PrivateTlv.Encode(tlv).Length;
        foreach (int field in (int[])[TlvField, .. TlvOverflowFields])
        {
            int max = spec[field]?.Subfields is null ? spec[field]?.Length ?? 0 : 0;
            var part = new List<KeyValuePair<string, string>>();
            int length = 0;
            while (next < tlv.Count)
            {
                int entry = PrivateTlv.Encode([tlv[next]]).Length;
                if (length + entry > max) break;
                part.Add(tlv[next++]);
                length += entry;
            }
            if (part.Count > 0) message.Set(field, PrivateTlv.Encode(part));
            if (next == tlv.Count) return;
        }
        throw new Iso20022TranslationException($"the carried elements take {total} characters, more than DE {TlvField}, {string.Join(" and DE ", TlvOverflowFields)} hold.");
    }

    /// <summary>The TLV entries of DE 48 and its continuation fields (a field that is not the TLV ends the chain).</summary>
    private static List<KeyValuePair<string, string>> ReadTlv(IsoMessage message)
    {
        var all = new List<KeyValuePair<string, string>>();
        foreach (int field in (int[])[TlvField, .. TlvOverflowFields])
        {
            if (message[field] is not { } text || !PrivateTlv.TryDecode(text, out var entries)) break;
            all.AddRange(entries);
        }
        return all;
    }

    private static void ApplyTlv(Mapping mapping, IsoMessage message, Values values)
    {
        var entries = ReadTlv(message);
        foreach (var (tag, value) in entries)
        {
            foreach (var (t, path) in mapping.Carried)
                if (t == tag) values[path] = value;
        }
    }

    /// <summary>Fields the values do not reproduce (value, or null for "absent"), so the way back restores them exactly.</summary>
    private static List<(int Field, string? Value)> ExtensionOf(IsoMessage message, IsoMessage probe)
    {
        var extension = new List<(int, string?)>();
        foreach (int f in message.Fields)
        {
            if (f <= 1 || NotCarried.Contains(f) || message.Spec[f]?.Subfields is not null) continue;
            if (probe[f] != message[f]) extension.Add((f, message[f]));
        }
        foreach (int f in probe.Fields)
            if (f > 1 && !message.Has(f)) extension.Add((f, null));
        return extension;
    }

    private static byte[] Write(Mapping mapping, string name, Values values, List<(int Field, string? Value)> extension)
    {
        string ns = SchemaCatalog.NamespacePrefix + name;
        string leaf = mapping.ExtensionPath[(mapping.ExtensionPath.LastIndexOf('/') + 1)..];
        Action<XmlWriter>? block = extension.Count == 0 ? null : w =>
        {
            w.WriteStartElement(leaf, ns);
            w.WriteStartElement("Iso8583", ExtensionNamespace);
            foreach (var (field, value) in extension)
            {
                w.WriteStartElement("Fld", ExtensionNamespace);
                w.WriteAttributeString("n", field.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (value is not null) w.WriteString(value);
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        };
        try
        {
            return PathWriter.Write(ns, mapping.Root, mapping.Template, values, mapping.ExtensionPath, block);
        }
        catch (ArgumentException ex)
        {
            throw new Iso20022TranslationException($"a value cannot be written as XML ({ex.GetType().Name}): it holds a character XML does not allow.");
        }
    }

    private static void ApplyExtension(Mapping mapping, Iso20022Document document, IsoMessage message)
    {
        string attribute = mapping.ExtensionFieldsPath + "/@n";
        var fields = document.Fields;
        for (int i = 0; i < fields.Count; i++)
        {
            if (fields[i].Path != attribute || !int.TryParse(fields[i].Value, out int n) || n is < 2 or > 192) continue;
            bool hasValue = i + 1 < fields.Count && fields[i + 1].Path == mapping.ExtensionFieldsPath;
            if (hasValue) message.Set(n, fields[i + 1].Value);
            else message.Remove(n);
        }
    }
}
