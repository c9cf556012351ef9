using System.Xml;
using BenchmarkDotNet.Attributes;
using Switch.Iso20022;
using Switch.Iso20022.Translation;
using Switch.Iso8583.Spec;

namespace Switch.Benchmarks;

/// <summary>
/// ISO 20022 reading on one core: the switch's reader (validate + parse + business rules) against a bare validating
/// XmlReader over the same compiled schema set, and a translation round trip pacs.008 → 0200 (encoded, decoded) → pacs.008.
/// </summary>
[MemoryDiagnoser]
public class Iso20022Benchmarks
{
    private static readonly XmlReaderSettings BareSettings = new()
    {
        ValidationType = ValidationType.Schema,
        Schemas = SchemaCatalog.BuiltIn.Schemas,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
    };

    private readonly MessageSpec _spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
    private byte[] _message = [];

    /// <summary>The sample read: the 2.3 KB FedNow pacs.008 and the 2.7 KB CBPR+ pain.001 (with 140-character names).</summary>
    [Params("pacs.008.001.08-fednow-credit-transfer.xml", "pain.001.001.09-cbpr-initiation.xml")]
    public string Sample { get; set; } = "";

    /// <summary>Loads the sample from the test project's Samples folder.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) dir = dir.Parent;
        _message = File.ReadAllBytes(Path.Combine(dir!.FullName, "tests", "Switch.Iso20022.Tests", "Samples", Sample));
        _ = Iso20022Reader.Default.Read(_message);
    }

    /// <summary>A bare validating XmlReader that reads every node (the floor: no limits, no values kept, no business rules).</summary>
    [Benchmark(Baseline = true)]
    public int BareValidatingXmlReader()
    {
        int nodes = 0;
        using var stream = new MemoryStream(_message, writable: false);
        using var reader = XmlReader.Create(stream, BareSettings);
        while (reader.Read()) nodes++;
        return nodes;
    }

    /// <summary>The switch's reader: limits, UTF-8 check, validation with positioned errors, values captured, business rules.</summary>
    [Benchmark]
    public int ValidateAndParse() => Iso20022Reader.Default.Read(_message).Fields.Count;

    /// <summary>pacs.008 → 0200 → bytes → 0200 → pacs.008 (the result validated again); only for the pacs.008 sample.</summary>
    [Benchmark]
    public int TranslationRoundTrip()
    {
        if (!Sample.StartsWith("pacs.008", StringComparison.Ordinal)) return 0;
        var doc = Iso20022Reader.Default.Read(_message);
        var iso8583 = _spec.Decode(_spec.Encode(Iso8583Translator.ToIso8583(doc, _spec)));
        return Iso8583Translator.ToIso20022(iso8583).Length;
    }
}
