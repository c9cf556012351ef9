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

    [Fact]
    public void A_failing_case_exits_1_with_the_failure_in_junit_and_cases_needing_the_issuer_are_skipped_without_it()
    {
        string suite = Path.Combine(_dir, "failing");
        Directory.CreateDirectory(suite);
        File.WriteAllText(Path.Combine(suite, "suite.json"), """{ "name": "failing", "description": "a suite that must fail" }""");
        File.WriteAllText(Path.Combine(suite, "10-cases.json"), """
            { "cases": [
              { "id": "inquiry-ok", "send": { "card": "A", "processingCode": "31" }, "expect": { "de39": "00" } },
              { "id": "wrong-code", "title": "expects 51 from an approved inquiry", "send": { "card": "A", "processingCode": "31" }, "expect": { "de39": "51" } },
              { "id": "after-wrong", "dependsOn": ["wrong-code"], "send": { "card": "A", "processingCode": "31" }, "expect": { "de39": "00" } },
              { "id": "remote", "send": { "card": "R", "amount": 100 }, "expect": { "de39": "00" } }
            ] }
            """);
        var r = Run(suite, hostIssuer: false, out string junit, out string html);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("FAIL  wrong-code", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("failing: 4 cases, 1 passed, 1 failed, 2 skipped (skips do not fail the run)", r.Stdout, StringComparison.Ordinal);
        var ts = XDocument.Load(junit).Root!.Element("testsuite")!;
        Assert.Equal(4, (int)ts.Attribute("tests")!);
        Assert.Equal(1, (int)ts.Attribute("failures")!);
        Assert.Equal(2, (int)ts.Attribute("skipped")!);
        var failure = ts.Elements("testcase").Single(c => (string)c.Attribute("name")! == "wrong-code").Element("failure")!;
        Assert.Contains("DE39 51: DE39 00 (approved)", (string)failure.Attribute("message")!, StringComparison.Ordinal);
        var skipped = ts.Elements("testcase").Single(c => (string)c.Attribute("name")! == "remote").Element("skipped")!;
        Assert.Contains("--issuer-port", (string)skipped.Attribute("message")!, StringComparison.Ordinal);
        Assert.Contains("depends on 'wrong-code', which failed", (string)ts.Elements("testcase").Single(c => (string)c.Attribute("name")! == "after-wrong").Element("skipped")!.Attribute("message")!, StringComparison.Ordinal);
        Assert.Contains("class=\"fail\">FAIL", File.ReadAllText(html), StringComparison.Ordinal);
    }

    [Fact]
    public void Switch_basic_without_the_hosted_issuer_skips_the_issuer_cases_and_passes()
    {
        var r = Run("switch-basic", hostIssuer: false, out string junit, out _);
        Assert.True(r.ExitCode == 0, r.ToString());
        var ts = XDocument.Load(junit).Root!.Element("testsuite")!;
        Assert.Equal(0, (int)ts.Attribute("failures")!);
        int skipped = (int)ts.Attribute("skipped")!;
        Assert.True(skipped >= 7, $"{skipped} skipped");
        Assert.Contains(ts.Elements("testcase"), c => (string)c.Attribute("name")! == "de39-91-issuer-timeout" && c.Element("skipped") is not null);
        Assert.Contains("(skips do not fail the run)", r.Stdout, StringComparison.Ordinal);
    }
}
