using System.Text;

namespace Switch.Iso20022.Tests;

/// <summary>The CLI contract through the real executable: validate, translate both ways, errors with line and position.</summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iso20022-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private static void AssertErrorLines(CliRunner.Result r, int count)
    {
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.True(r.Stdout.Length == 0, r.ToString());
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == count, r.ToString());
        foreach (string line in lines)
        {
            Assert.Matches(@"^error: .+: line \d+, position \d+: .+\.$", line.TrimEnd('\r'));
            Assert.DoesNotContain("Sch_", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Xml_", line, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Validate_exits_0_for_every_public_sample(string file)
    {
        string output = CliRunner.AssertSuccess(CliRunner.Run("iso20022", "validate", "--file", Samples.Path(file)));
        Assert.EndsWith("valid " + file[..15], output, StringComparison.Ordinal);
    }

    public static TheoryData<string> Files() => Samples.XmlFiles();

    [Fact]
    public void Validate_prints_every_error_with_line_and_position()
    {
        string text = Samples.Text(Samples.Pacs008).Replace("<SttlmMtd>CLRG</SttlmMtd>", "<SttlmMtd>FAST</SttlmMtd>", StringComparison.Ordinal)
            .Replace("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>NONE</ChrgBr>", StringComparison.Ordinal);
        var r = CliRunner.Run("iso20022", "validate", "--file", Write("bad.xml", text));
        AssertErrorLines(r, 2);
        Assert.Contains("line 9, position 10: the value 'FAST' of element 'SttlmMtd' is not valid", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 31, position 8: the value 'NONE' of element 'ChrgBr'", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_refuses_an_external_entity_with_a_sentence()
    {
        var r = CliRunner.Run("iso20022", "validate", "--file",
            Write("xxe.xml", "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>"));
        AssertErrorLines(r, 1);
        Assert.Contains("document type declaration", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_reports_a_truncated_document_where_it_ends()
    {
        var r = CliRunner.Run("iso20022", "validate", "--file", Write("cut.xml", Samples.Text(Samples.Pacs008)[..1000]));
        AssertErrorLines(r, 1);
        Assert.Contains("truncated", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_reports_a_business_rule()
    {
        var r = CliRunner.Run("iso20022", "validate", "--file", Write("jpy.xml",
            Samples.Text(Samples.Pacs008).Replace("Ccy=\"USD\">1250.00", "Ccy=\"JPY\">1250.5", StringComparison.Ordinal)));
        AssertErrorLines(r, 1);
        Assert.Contains("JPY allows none", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_refuses_a_device_and_a_missing_file_in_one_line()
    {
        Assert.Contains("not a regular file", CliRunner.AssertOneLineError(CliRunner.Run("iso20022", "validate", "--file", "/dev/zero")), StringComparison.Ordinal);
        Assert.Contains("no such file", CliRunner.AssertOneLineError(CliRunner.Run("iso20022", "validate", "--file", Path.Combine(_dir, "none.xml"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_to_iso8583_prints_the_json_of_iso8583_decode()
    {
        string json = CliRunner.AssertSuccess(CliRunner.Run("iso20022", "translate", "--to", "iso8583", "--spec", "iso8583-1987-binary", "--file", Samples.Path(Samples.Pacs008)));
        Assert.StartsWith("{\"mti\":\"0200\",\"fields\":{", json, StringComparison.Ordinal);
        string hex = CliRunner.AssertSuccess(CliRunner.RunWithStdin(json, "iso8583", "encode", "--spec", "iso8583-1987-binary"));
        string decoded = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--hex", hex));
        Assert.Equal(decoded, json);
    }

    [Fact]
    public void Translate_to_iso20022_prints_a_schema_valid_document_that_keeps_the_payment()
    {
        string json = CliRunner.AssertSuccess(CliRunner.Run("iso20022", "translate", "--to", "iso8583", "--spec", "iso8583-1987-ascii", "--file", Samples.Path(Samples.Pacs008)));
        string xml = CliRunner.AssertSuccess(CliRunner.Run("iso20022", "translate", "--to", "iso20022", "--spec", "iso8583-1987-ascii", "--file", Write("m.json", json)));
        var doc = Iso20022Reader.Default.Read(Encoding.UTF8.GetBytes(xml));
        Assert.Equal("pacs.008.001.08", doc.MessageName);
        Assert.Equal("E2E-20260702-0001", doc.Value("CdtTrfTxInf/PmtId/EndToEndId"));
        Assert.Equal("1250.00", doc.Value("CdtTrfTxInf/IntrBkSttlmAmt"));
    }

    [Fact]
    public void Translate_refuses_a_message_without_mapping_in_one_line()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("iso20022", "translate", "--to", "iso8583", "--spec", "iso8583-1987-binary", "--file", Samples.Path("pacs.028.001.03-fednow-status-request.xml")));
        Assert.Contains("has no ISO 8583 mapping", line, StringComparison.Ordinal);
        string bad = CliRunner.AssertOneLineError(CliRunner.Run("iso20022", "translate", "--to", "iso20022", "--spec", "iso8583-1987-binary", "--file", Write("x.json", "{\"mti\":\"0800\",\"fields\":{\"11\":\"000001\"}}")));
        Assert.Contains("MTI 0800 has no ISO 20022 mapping", bad, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_prints_the_errors_of_an_invalid_document()
    {
        var r = CliRunner.Run("iso20022", "translate", "--to", "iso8583", "--spec", "iso8583-1987-binary", "--file",
            Write("bad.xml", Samples.Text(Samples.Pacs008).Replace("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>3</NbOfTxs>", StringComparison.Ordinal)));
        AssertErrorLines(r, 1);
        Assert.Contains("NbOfTxs is 3", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("iso20022")]
    [InlineData("iso20022", "validate")]
    [InlineData("iso20022", "translate")]
    public void Help_is_shown_for_the_verbs(params string[] verb)
    {
        string output = CliRunner.AssertSuccess(CliRunner.Run([.. verb, "--help"]));
        Assert.Contains(verb[^1], output, StringComparison.Ordinal);
    }
}
