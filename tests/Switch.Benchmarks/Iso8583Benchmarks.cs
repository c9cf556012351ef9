using System.Buffers;
using BenchmarkDotNet.Attributes;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Benchmarks;

/// <summary>
/// The codec anchor: the two 0200 messages of shared/testdata/iso8583 (copied in specs/samples).
/// Decode with every field materialized (as jPOS's unpack does), lazy decode (bitmap + boundaries),
/// and encode from a filled message. One message per invocation; ops/s = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class Iso8583Benchmarks
{
    private MessageSpec _spec = null!;
    private byte[] _bytes = null!;
    private IsoMessage _reused = null!;
    private IsoMessage _filled = null!;
    private ArrayBufferWriter<byte> _writer = null!;

    /// <summary>Which sample: binary (iso87binary) or ascii (iso87ascii).</summary>
    [Params("binary", "ascii")]
    public string Dialect { get; set; } = "binary";

    /// <summary>Loads the spec and sample, and builds the filled message for encode.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _spec = SpecCatalog.BuiltIn($"iso8583-1987-{Dialect}");
        _bytes = Convert.FromHexString(File.ReadAllText(SamplePath($"iso87{Dialect}-0200.hex")).Trim());
        _reused = _spec.NewMessage();
        _writer = new ArrayBufferWriter<byte>(1024);
        // A message filled from strings, as an application builds it (no source bytes behind it).
        var decoded = _spec.Decode(_bytes, DecodeMode.Materialize);
        _filled = _spec.NewMessage(decoded.Mti);
        foreach (int f in decoded.Fields) _filled.Set(f, decoded.GetString(f)!);
        if (!_spec.Encode(_filled).AsSpan().SequenceEqual(_bytes)) throw new InvalidOperationException("encode does not reproduce the sample");
    }

    /// <summary>Full decode: every field checked and turned into its string.</summary>
    [Benchmark]
    public IsoMessage DecodeMaterialized() => _spec.Decode(_bytes, DecodeMode.Materialize);

    /// <summary>Lazy decode into a reused message: bitmap and field boundaries only.</summary>
    [Benchmark]
    public int DecodeIndex()
    {
        _spec.Decode(_bytes, _reused, DecodeMode.Index);
        return _reused.Count;
    }

    /// <summary>Encode a filled message into a reused buffer.</summary>
    [Benchmark]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        return _spec.Encode(_filled, _writer);
    }

    private static string SamplePath(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "specs", "samples", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"specs/samples/{file} not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>
/// <c>codec-loop [binary|ascii]</c>: the same operations as <see cref="Iso8583Benchmarks"/> in a plain loop, best of
/// 80 samples of 20,000 operations each. On a loaded machine the best sample is the least disturbed one, which
/// BenchmarkDotNet's short job cannot see through; run two builds alternately and compare.
/// </summary>
public static class Iso8583Loop
{
    /// <summary>Prints one line of best-sample nanoseconds per operation.</summary>
    public static int Run(string[] args)
    {
        var bench = new Iso8583Benchmarks { Dialect = args.Length > 0 ? args[0] : "binary" };
        bench.Setup();
        for (int round = 0; round < 2; round++)
        {
            double materialized = Best(() => bench.DecodeMaterialized());
            double index = Best(() => bench.DecodeIndex());
            double encode = Best(() => bench.Encode());
            Console.WriteLine($"{bench.Dialect}: DecodeMaterialized {materialized:F0} ns, DecodeIndex {index:F0} ns, Encode {encode:F0} ns");
        }
        return 0;
    }

    private static double Best(Action operation)
    {
        const int operations = 20_000;
        double best = double.MaxValue;
        for (int sample = 0; sample < 80; sample++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < operations; i++) operation();
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalNanoseconds / operations);
        }
        return best;
    }
}
