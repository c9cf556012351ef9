namespace Switch.Cli.Tests;

/// <summary><c>switch iso8583 encode</c>: JSON on stdin, uppercase hex on stdout.</summary>
public sealed class EncodeCommandTests
{
    [Theory]
    [InlineData("iso8583-1987-binary", "iso87binary-0200.hex")]
    [InlineData("iso8583-1987-ascii", "iso87ascii-0200.hex")]
    public void Encoding_the_decoded_json_gives_back_the_sample_bytes(string spec, string sample)
    {
        string hex = TestFiles.SampleHex(sample);
        string json = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", spec, "--hex", hex));
        Assert.Equal(hex, CliRunner.AssertSuccess(CliRunner.RunWithStdin(json, "iso8583", "encode", "--spec", spec)));
    }

    [Fact]
    public void Encoding_the_documented_json_gives_the_jpos_bytes()
    {
        string hex = TestFiles.SampleHex("iso87binary-0200.hex");
        string output = CliRunner.AssertSuccess(CliRunner.RunWithStdin(DecodeCommandTests.SampleJson + "\n", "iso8583", "encode", "--spec", TestFiles.Packager("iso87binary.xml")));
        Assert.Equal(hex, output);
        Assert.Equal(output.ToUpperInvariant(), output);
    }

    [Fact]
    public void Byte_transparent_values_survive_encode_then_decode()
    {
        // Field 48 (LLLCHAR) holding control characters, DEL, and Latin-1 bytes, escaped as JSON needs.
        const string json = "{\"mti\":\"0200\",\"fields\":{\"48\":\"\\u0000\\u0001\\\"\\\\\\u007F\\u0080\\u00FF\u00E9\"}}";
        string hex = CliRunner.AssertSuccess(CliRunner.RunWithStdin(json, "iso8583", "encode", "--spec", "iso8583-1987-ascii"));
        Assert.Equal("30323030" + "0000000000010000".Aggregate("", (s, c) => s + ((int)c).ToString("X2")) + "303038" + "0001225C7F80FFE9", hex);
        string back = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-ascii", "--hex", hex));
        Assert.Equal(hex, CliRunner.AssertSuccess(CliRunner.RunWithStdin(back, "iso8583", "encode", "--spec", "iso8583-1987-ascii")));
    }

    [Fact]
    public void A_utf8_byte_order_mark_before_the_json_is_ignored()
    {
        string output = CliRunner.AssertSuccess(CliRunner.RunWithStdin("\uFEFF{\"mti\":\"0800\",\"fields\":{\"11\":\"1\"}}", "iso8583", "encode", "--spec", "iso8583-1987-ascii"));
        Assert.Equal("3038303030303230303030303030303030303030303030303031", output);
    }
}
