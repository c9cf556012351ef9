namespace Switch.Iso20022;

/// <summary>
/// One value of a document: its path below the message root ("CdtTrfTxInf/PmtId/EndToEndId", attributes as
/// "CdtTrfTxInf/IntrBkSttlmAmt/@Ccy"), its text and where it starts.
/// </summary>
public readonly record struct Iso20022Field(string Path, string Value, int Line, int Position);

/// <summary>
/// A validated ISO 20022 message: which message it is (from the Document namespace), its values in document order,
/// the optional business application header's values, and the frame it came from (forwarded unchanged, so nothing
/// the switch does not read is lost).
/// </summary>
public sealed class Iso20022Document
{
    internal Iso20022Document(string ns, string messageName, string rootElement, List<Iso20022Field> fields,
        List<Iso20022Field>? header, string? headerNamespace, ReadOnlyMemory<byte> source)
    {
        Namespace = ns;
        MessageName = messageName;
        RootElement = rootElement;
        Fields = fields;
        HeaderFields = header ?? [];
        HeaderNamespace = headerNamespace;
        Source = source;
    }

    /// <summary>The Document element's namespace.</summary>
    public string Namespace { get; }

    /// <summary>The message name taken from the namespace, e.g. "pacs.008.001.08".</summary>
    public string MessageName { get; }

    /// <summary>The message root under Document, e.g. "FIToFICstmrCdtTrf".</summary>
    public string RootElement { get; }

    /// <summary>Every value of the Document, in document order.</summary>
    public IReadOnlyList<Iso20022Field> Fields { get; }

    /// <summary>Every value of the AppHdr when the document came in an envelope (paths below AppHdr); empty otherwise.</summary>
    public IReadOnlyList<Iso20022Field> HeaderFields { get; }

    /// <summary>The AppHdr's namespace ("urn:…:head.001.001.02"), or null for a bare document.</summary>
    public string? HeaderNamespace { get; }

    /// <summary>True when the document came wrapped with its AppHdr.</summary>
    public bool HasHeader => HeaderNamespace is not null;

    /// <summary>The frame's bytes as received (keep them unchanged while the document is used).</summary>
    public ReadOnlyMemory<byte> Source { get; }

    /// <summary>The message family and number, e.g. "pacs.008" (without the variant and version).</summary>
    public string MessageType => MessageName.Length >= 8 ? MessageName[..8] : MessageName;

    /// <summary>The first value at this path, or null.</summary>
    public string? Value(string path) => Find(Fields, path)?.Value;

    /// <summary>The first field at this path, or null.</summary>
    public Iso20022Field? Field(string path) => Find(Fields, path);

    /// <summary>Every value at this path, in document order.</summary>
    public IEnumerable<Iso20022Field> All(string path) => Fields.Where(f => f.Path == path);

    /// <summary>How many values the document has at this path.</summary>
    public int Count(string path)
    {
        int n = 0;
        foreach (var f in Fields) if (f.Path == path) n++;
        return n;
    }

    /// <summary>The first AppHdr value at this path ("BizMsgIdr", "MsgDefIdr", "Fr/FIId/FinInstnId/BICFI"), or null.</summary>
    public string? HeaderValue(string path) => Find(HeaderFields, path)?.Value;

    private static Iso20022Field? Find(IReadOnlyList<Iso20022Field> fields, string path)
    {
        foreach (var f in fields) if (f.Path == path) return f;
        return null;
    }
}
