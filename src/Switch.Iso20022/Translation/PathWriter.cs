using System.Text;
using System.Xml;

namespace Switch.Iso20022.Translation;

/// <summary>
/// Writes a Document from values keyed by path ("CdtTrfTxInf/PmtId/EndToEndId", amounts' currency as ".../@Ccy") in
/// the order of a template listing the message's paths in schema order: elements shared by consecutive paths are
/// opened once, so the output nests as the schema requires. Only paths with a value are written.
/// </summary>
internal static class PathWriter
{
    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = true,
        IndentChars = "  ",
        OmitXmlDeclaration = false,
        CloseOutput = false,
    };

    /// <summary>The UTF-8 bytes of the document; <paramref name="extension"/> writes the content of the extension element's path.</summary>
    public static byte[] Write(string ns, string root, IReadOnlyList<string> template, IReadOnlyDictionary<string, string> values,
        string? extensionPath, Action<XmlWriter>? extension)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, Settings))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement("Document", ns);
            writer.WriteStartElement(root, ns);
            var open = new List<string>();
            foreach (string path in template)
            {
                bool isExtension = path == extensionPath && extension is not null;
                if (!isExtension && !values.ContainsKey(path)) continue;
                string[] segments = path.Split('/');
                Align(writer, open, segments, ns);
                if (isExtension) extension!(writer);
                else WriteLeaf(writer, path, segments[^1], values, ns);
            }
            for (int i = open.Count; i > 0; i--) writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndDocument();
        }
        return stream.ToArray();
    }

    /// <summary>Closes the open elements the next path does not share and opens its parents.</summary>
    private static void Align(XmlWriter writer, List<string> open, string[] segments, string ns)
    {
        int parents = segments.Length - 1;
        int common = 0;
        while (common < open.Count && common < parents && open[common] == segments[common]) common++;
        for (int i = open.Count; i > common; i--) writer.WriteEndElement();
        open.RemoveRange(common, open.Count - common);
        for (int i = common; i < parents; i++)
        {
            writer.WriteStartElement(segments[i], ns);
            open.Add(segments[i]);
        }
    }

    private static void WriteLeaf(XmlWriter writer, string path, string name, IReadOnlyDictionary<string, string> values, string ns)
    {
        writer.WriteStartElement(name, ns);
        if (values.TryGetValue(path + "/@Ccy", out string? ccy)) writer.WriteAttributeString("Ccy", ccy);
        writer.WriteString(values[path]);
        writer.WriteEndElement();
    }
}
