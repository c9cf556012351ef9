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
    [Params("pacs.008.001.08-fednow-credit-transfer.xml", "pain.001.001.09-cbpr-initiation.xml", MaximalSample)]
    public string Sample { get; set; } = "";

    /// <summary>The 20 KB CBPR+-style maximal pacs.008 (every party, agent and remittance element filled; Maximal/make-cbpr-maximal.py).</summary>
    public const string MaximalSample = "Maximal/pacs.008.001.08-cbpr-maximal.xml";

    /// <summary>Loads the sample from the test project's Samples folder (or, with a folder in its name, from the test project).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) dir = dir.Parent;
        string tests = Path.Combine(dir!.FullName, "tests", "Switch.Iso20022.Tests");
        _message = File.ReadAllBytes(Sample.Contains('/', StringComparison.Ordinal) ? Path.Combine(tests, Sample) : Path.Combine(tests, "Samples", Sample));
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
        if (!Sample.Contains("pacs.008", StringComparison.Ordinal)) return 0;
        var doc = Iso20022Reader.Default.Read(_message);
        var iso8583 = _spec.Decode(_spec.Encode(Iso8583Translator.ToIso8583(doc, _spec)));
        return Iso8583Translator.ToIso20022(iso8583).Length;
    }
}

/// <summary>
/// An alternating A/B run for a shared, noisy machine (<c>Switch.Benchmarks iso20022 [seconds]</c>): batches of the bare
/// validating XmlReader, the switch's reader and the translation round trip take turns on one thread, and the best and
/// median batch of each are reported, so load that comes and goes hits all three alike.
/// </summary>
public static class Iso20022Bench
{
    /// <summary>Runs the comparison for the given number of seconds (default 20) and prints one line per sample and method.</summary>
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20;
        foreach (string sample in new[] { "pacs.008.001.08-fednow-credit-transfer.xml", "pain.001.001.09-cbpr-initiation.xml", Iso20022Benchmarks.MaximalSample })
        {
            var b = new Iso20022Benchmarks { Sample = sample };
            b.Setup();
            var methods = new (string Name, Func<int> Run, int Batch)[]
            {
                ("bare validating XmlReader", b.BareValidatingXmlReader, 500),
                ("Iso20022Reader validate+parse+rules", b.ValidateAndParse, 500),
                ("translation round trip", b.TranslationRoundTrip, 50),
            };
            if (!sample.Contains("pacs.008", StringComparison.Ordinal)) methods = methods[..2];
            var times = methods.Select(_ => new List<double>()).ToArray();
            foreach (var m in methods) for (int i = 0; i < m.Batch; i++) m.Run();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                for (int k = 0; k < methods.Length; k++)
                {
                    long start = System.Diagnostics.Stopwatch.GetTimestamp();
                    for (int i = 0; i < methods[k].Batch; i++) methods[k].Run();
                    times[k].Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds / methods[k].Batch);
                }
            }
            for (int k = 0; k < methods.Length; k++)
            {
                var sorted = times[k].Order().ToList();
                Console.WriteLine($"{sample}\t{methods[k].Name}\tbest {1 / sorted[0]:N0}/s\tmedian {1 / sorted[sorted.Count / 2]:N0}/s\tbatches {sorted.Count}");
            }
        }
        return 0;
    }
}
