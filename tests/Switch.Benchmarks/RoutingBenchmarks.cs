using BenchmarkDotNet.Attributes;
using Switch.Iso8583.Vocabulary;
using Switch.Routing;

namespace Switch.Benchmarks;

/// <summary>
/// The in-memory route look-up (what the pipeline does once per transaction) on a table of <see cref="Routes"/>
/// routes: prefixes of 6, 8, 9 and 11 digits, a quarter with conditions. Each invocation looks up <see cref="Batch"/>
/// PANs: a third match an 11- or 8-digit route, a third fall through a condition to a shorter prefix, a third match
/// nothing. ns per look-up = mean (BenchmarkDotNet divides by OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    /// <summary>Look-ups per invocation.</summary>
    public const int Batch = 1024;

    private RouteTable _table = null!;
    private string[] _pans = null!;

    /// <summary>Routes in the table.</summary>
    [Params(1_000, 10_000)]
    public int Routes { get; set; }

    /// <summary>Builds the table and the PANs (synthetic test numbers, none real).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(8583);
        var routes = new List<Route>(Routes);
        var bins = new HashSet<string>(StringComparer.Ordinal);
        int[] lengths = [6, 8, 9, 11];
        while (routes.Count < Routes)
        {
            int length = lengths[random.Next(lengths.Length)];
            string bin = (4 + random.Next(2)).ToString(System.Globalization.CultureInfo.InvariantCulture) + Digits(random, length - 1);
            if (!bins.Add(bin)) continue;
            bool conditioned = random.Next(4) == 0;
            routes.Add(RouteRules.Create($"r{routes.Count}", bin, "issuer", 1 + random.Next(10), null,
                conditioned ? MtiClass.Reversal : null, null, conditioned && random.Next(2) == 0 ? "840" : null));
        }
        _table = RouteTable.Build(routes, 1);
        _pans = new string[Batch];
        for (int i = 0; i < Batch; i++)
        {
            string pan = (i % 3) switch
            {
                0 => routes[random.Next(routes.Count)].BinPrefix,      // a hit (any length)
                1 => routes[random.Next(routes.Count)].BinPrefix[..6], // the 6-digit BIN of a route, often a fall-through
                _ => "6" + Digits(random, 7),                          // no route
            };
            _pans[i] = pan + Digits(random, 16 - pan.Length);
        }
    }

    /// <summary>One authorization's look-up per PAN (MTI class 01, DE3 000000, DE49 978).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Lookup()
    {
        RouteTable table = _table;
        int found = 0;
        foreach (string pan in _pans)
        {
            if (table.Lookup(new RouteRequest(pan, MtiClass.Authorization, "000000", "978")) is not null) found++;
        }
        return found;
    }

    private static string Digits(Random random, int count)
    {
        var chars = new char[count];
        for (int i = 0; i < count; i++) chars[i] = (char)('0' + random.Next(10));
        return new string(chars);
    }
}
