using BenchmarkDotNet.Running;

namespace Switch.Benchmarks;

/// <summary>Entry point: BenchmarkDotNet's switcher over every benchmark class in this assembly.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks named on the command line (see --help).</summary>
    public static int Main(string[] args)
    {
        if (args is ["network", ..]) return NetworkBench.Run(args[1..]);
        if (args is ["journal", ..]) return JournalBench.Run(args[1..]);
        if (args is ["iso20022", ..]) return Iso20022Bench.Run(args[1..]);
        if (args is ["codec-loop", ..]) return Iso8583Loop.Run(args[1..]);
        if (args is ["onus", ..]) return OnUsBench.Run(args[1..]);
        if (args is ["tcp", ..]) return TcpBench.Run(args[1..]);
        if (args is ["pipeline", ..]) return PipelineBench.Run(args[1..]);
        if (args is ["rebuild", ..]) return RebuildBench.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
