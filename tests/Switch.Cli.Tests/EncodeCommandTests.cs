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

/// <summary><c>switch iso8583 encode</c> refuses JSON that a lenient reader would silently change.</summary>
public sealed class EncodeStrictInputTests
{
    [Theory]
    [InlineData("")]
    [InlineData("800")]
    public void An_mti_that_is_not_four_digits_is_an_error_not_padded_to_0000(string mti)
    {
        string line = CliRunner.AssertOneLineError(CliRunner.RunWithStdin($"{{\"mti\":\"{mti}\",\"fields\":{{\"11\":\"1\"}}}}", "iso8583", "encode", "--spec", "iso8583-1987-ascii"));
        Assert.Contains($"MTI '{mti}'", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"mti\":\"0800\",\"fields\":{\"11\":\"1\"},\"mti\":\"0810\"}", "duplicate key 'mti'")]
    [InlineData("{\"mti\":\"0800\",\"fields\":{\"11\":\"000001\",\"11\":\"000002\"}}", "duplicate key '11' in 'fields'")]
    public void Duplicate_keys_are_an_error_naming_the_key(string json, string expected)
    {
        string line = CliRunner.AssertOneLineError(CliRunner.RunWithStdin(json, "iso8583", "encode", "--spec", "iso8583-1987-ascii"));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_inside_a_sub_message_are_an_error_naming_the_key_and_the_field()
    {
        const string json = "{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"127\":{\"header\":\"0A0B\",\"fields\":{\"4\":{\"fields\":{\"1\":\"AB\",\"1\":\"CD\"}}}}}}";
        string line = CliRunner.AssertOneLineError(CliRunner.RunWithStdin(json, "iso8583", "encode", "--spec", TestFiles.Packager("nested.xml")));
        Assert.Contains("duplicate key '1' in 'fields'", line, StringComparison.Ordinal);
        Assert.Contains("field 127", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_amount_sign_other_than_c_or_d_is_carried_as_it_is()
    {
        // DE 28 (x+n 8): the sign is one character kept as it is on the wire, whatever it is (jPOS writes '0' there).
        string hex = CliRunner.AssertSuccess(CliRunner.RunWithStdin("{\"mti\":\"0200\",\"fields\":{\"28\":\"000000100\"}}", "iso8583", "encode", "--spec", "iso8583-1987-ascii"));
        Assert.EndsWith("303030303030313030", hex, StringComparison.Ordinal);
        string json = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-ascii", "--hex", hex));
        Assert.Contains("\"28\":\"000000100\"", json, StringComparison.Ordinal);
    }
}
