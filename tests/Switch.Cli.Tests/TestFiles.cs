namespace Switch.Cli.Tests;

/// <summary>The sample messages and jPOS packagers copied next to the tests (shared with the codec tests).</summary>
internal static class TestFiles
{
    public static string Sample(string file) => Path.Combine(AppContext.BaseDirectory, "Samples", file);

    public static string SampleHex(string file) => File.ReadAllText(Sample(file)).Trim();

    public static string Packager(string file) => Path.Combine(AppContext.BaseDirectory, "Packagers", file);
}
