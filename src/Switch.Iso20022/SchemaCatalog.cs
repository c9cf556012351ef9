using System.Collections.Frozen;
using Switch.Common.IO;
using System.Xml;
using System.Xml.Schema;

namespace Switch.Iso20022;

/// <summary>
/// The one compiled, shared schema set: every message XSD embedded from specs/iso20022 (plus any files given), keyed by
/// target namespace. A message's schema is chosen from its Document element's namespace, never from a header's message
/// id. Built once at start; read-only afterwards, so concurrent readers share it.
/// </summary>
public sealed class SchemaCatalog
{
    /// <summary>The namespace prefix of every ISO 20022 message schema.</summary>
    public const string NamespacePrefix = "urn:iso:std:iso:20022:tech:xsd:";

    private const string ResourcePrefix = "Switch.Iso20022.Schemas.";
    private static readonly Lazy<SchemaCatalog> BuiltInCatalog = new(() => new SchemaCatalog(EmbeddedSchemas()));
    private readonly FrozenDictionary<string, string> _names;

    private SchemaCatalog(IEnumerable<(string Source, Stream Content)> schemas)
    {
        var set = new XmlSchemaSet { XmlResolver = null };
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (source, content) in schemas)
        {
            using (content)
            {
                var schema = ReadSchema(source, content);
                string ns = schema.TargetNamespace ?? throw new InvalidDataException($"{source}: the schema has no target namespace");
                if (names.ContainsKey(ns)) throw new InvalidDataException($"{source}: a schema for {ns} is loaded twice");
                names[ns] = ns.StartsWith(NamespacePrefix, StringComparison.Ordinal) ? ns[NamespacePrefix.Length..] : ns;
                set.Add(schema);
            }
        }
        set.Compile();
        Schemas = set;
        _names = names.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The schemas embedded in this assembly (specs/iso20022/*.xsd at build time), compiled once.</summary>
    public static SchemaCatalog BuiltIn => BuiltInCatalog.Value;

    /// <summary>
    /// A catalog of the embedded schemas plus XSD files of a directory (a message or version added without a rebuild);
    /// throws <see cref="BoundedFileException"/> for a file that is too large or not a regular file.
    /// </summary>
    public static SchemaCatalog WithDirectory(string directory)
    {
        var embeddedNames = BuiltIn.MessageNames.ToHashSet(StringComparer.Ordinal);
        // Read bounded (a FIFO or device named *.xsd is refused, not read forever), and only the ones not embedded.
        var files = Directory.GetFiles(directory, "*.xsd").Order(StringComparer.Ordinal)
            .Where(f => !embeddedNames.Contains(Path.GetFileNameWithoutExtension(f)))
            .Select(f => (f, (Stream)new MemoryStream(BoundedFile.ReadAllBytes(f, SchemaFileBytesMax), writable: false))).ToList();
        return new SchemaCatalog(EmbeddedSchemas().Concat(files));
    }

    /// <summary>Largest XSD file read from a directory (the largest official schema here is under 300 KiB).</summary>
    public const int SchemaFileBytesMax = 4 * 1024 * 1024;

    /// <summary>The compiled set (read-only once built).</summary>
    public XmlSchemaSet Schemas { get; }

    /// <summary>Message names ("pacs.008.001.08") of every loaded schema, sorted.</summary>
    public IReadOnlyList<string> MessageNames => _names.Values.Order(StringComparer.Ordinal).ToList();

    /// <summary>True when a schema with this target namespace is loaded.</summary>
    public bool Supports(string ns) => _names.ContainsKey(ns);

    /// <summary>The message name of a loaded namespace ("pacs.008.001.08"), or null.</summary>
    public string? MessageNameOf(string ns) => _names.GetValueOrDefault(ns);

    private static IEnumerable<(string, Stream)> EmbeddedSchemas()
    {
        var assembly = typeof(SchemaCatalog).Assembly;
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            yield return (name[ResourcePrefix.Length..], assembly.GetManifestResourceStream(name)!);
    }

    private static XmlSchema ReadSchema(string source, Stream content)
    {
        // Schemas are data too: no DTD, no resolver, so an XSD cannot pull anything from the file system or network.
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };
        using var reader = XmlReader.Create(content, settings);
        try
        {
            return XmlSchema.Read(reader, null) ?? throw new InvalidDataException($"{source}: not a schema");
        }
        catch (XmlException ex)
        {
            throw new InvalidDataException($"{source}: not a readable XML schema (line {ex.LineNumber}, position {ex.LinePosition})", ex);
        }
    }
}
