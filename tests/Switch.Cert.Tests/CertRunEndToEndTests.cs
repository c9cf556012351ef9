using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Switch.Cert.Tests;

/// <summary>`switch cert run` against a real `switch run` (seeded throwaway database), the runner hosting the issuer.</summary>
public sealed partial class CertRunEndToEndTests(CertSwitch sw) : IClassFixture<CertSwitch>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cert-e2e-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex(@"\b(4761730000000\d{3}|5413330000000019)\b")]
    private static partial Regex FullDemoPan();

    private CliRunner.Result Run(string suite, bool hostIssuer, out string junit, out string html)
    {
        junit = Path.Combine(_dir, $"{Path.GetFileName(suite)}-{Guid.NewGuid():N}.xml");
        html = Path.ChangeExtension(junit, ".html");
        var args = new List<string> { "cert", "run", suite, "--target", $"127.0.0.1:{sw.TerminalPort}", "--junit", junit, "--html", html };
        if (hostIssuer) args.AddRange(["--issuer-port", sw.IssuerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return CliRunner.Run(args, timeoutMs: 180_000);
    }

    [Fact]
    public void Switch_basic_passes_against_a_real_switch_and_passes_again()
    {
        var first = Run("switch-basic", hostIssuer: true, out string junit, out string html);
        Assert.True(first.ExitCode == 0, $"{first}\n--- switch ---\n{sw.Output}");
        var suite = XDocument.Load(junit).Root!.Element("testsuite")!;
        int tests = (int)suite.Attribute("tests")!;
        Assert.True(tests >= 50, $"only {tests} cases");
        Assert.Equal(0, (int)suite.Attribute("failures")!);
        Assert.Equal(0, (int)suite.Attribute("skipped")!);
        Assert.Equal(tests, suite.Elements("testcase").Count());
        Assert.All(suite.Elements("testcase"), c => Assert.True(double.Parse((string)c.Attribute("time")!, System.Globalization.CultureInfo.InvariantCulture) >= 0));
        foreach (string code in new[] { "05", "12", "13", "14", "15", "25", "30", "41", "43", "51", "54", "55", "57", "61", "62", "63", "75", "91" })
            Assert.Contains(suite.Elements("testcase"), c => ((string)c.Attribute("name")!).StartsWith($"de39-{code}-", StringComparison.Ordinal));

        string report = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", report, StringComparison.Ordinal);
        Assert.Contains("<style>", report, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(src|href)\s*=\s*""(https?:)?//", report);
        Assert.DoesNotContain("<script", report, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", report, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("476173******0011", report, StringComparison.Ordinal);
        Assert.Contains("[redacted]", report, StringComparison.Ordinal);
        Assert.DoesNotMatch(FullDemoPan(), report);
        Assert.DoesNotMatch(FullDemoPan(), File.ReadAllText(junit));
        Assert.DoesNotMatch(FullDemoPan(), first.Stdout + first.Stderr);
        Assert.Contains("switch-basic:", first.Stdout, StringComparison.Ordinal);

        // Re-runnable on the same switch: balances moved, card F's PIN is locked, the duplicates' memory is full.
        var second = Run("switch-basic", hostIssuer: true, out string junit2, out _);
        Assert.True(second.ExitCode == 0, $"{second}\n--- switch ---\n{sw.Output}");
        Assert.Equal(0, (int)XDocument.Load(junit2).Root!.Element("testsuite")!.Attribute("failures")!);
    }
}
