namespace Switch.Cli.Tests;

/// <summary><c>switch iso8583 decode</c> through the real executable.</summary>
public sealed class DecodeCommandTests
{
    /// <summary>Both samples (shared/testdata/iso8583) decode to this, field values as their README lists.</summary>
    internal const string SampleJson =
        "{\"mti\":\"0200\",\"fields\":{\"2\":\"4761739001010119\",\"3\":\"000000\",\"4\":\"000000012345\",\"7\":\"0822143015\","
        + "\"11\":\"123456\",\"12\":\"143015\",\"13\":\"0822\",\"14\":\"2812\",\"18\":\"5411\",\"22\":\"051\",\"25\":\"00\","
        + "\"35\":\"4761739001010119=28122011234567890\",\"37\":\"123456789012\",\"41\":\"TERM0001\",\"42\":\"MERCHANT0000001\","
        + "\"43\":\"ACME STORE 42 SPRINGFIELD       IL US   \",\"49\":\"840\",\"52\":\"1A2B3C4D5E6F7081\","
        + "\"55\":\"9F2608A1B2C3D4E5F607189F270180820219809F360200429F370412345678950500000080009A032608229C01005F2A0208409F0206000000012345\","
        + "\"64\":\"0102030405060708\"}}";

    [Fact]
    public void Binary_sample_given_as_hex_decodes_to_the_expected_json()
    {
        string hex = TestFiles.SampleHex("iso87binary-0200.hex");
        Assert.Equal(SampleJson, CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--hex", hex)));
    }

    [Fact]
    public void Ascii_sample_given_as_a_hex_file_decodes_to_the_expected_json()
    {
        var r = CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-ascii", "--file", TestFiles.Sample("iso87ascii-0200.hex"));
        Assert.Equal(SampleJson, CliRunner.AssertSuccess(r));
    }

    [Fact]
    public void Raw_message_bytes_in_a_file_decode_with_a_jpos_packager()
    {
        string path = Path.Combine(Path.GetTempPath(), $"switch-cli-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(path, Convert.FromHexString(TestFiles.SampleHex("iso87binary-0200.hex")));
            var r = CliRunner.Run("iso8583", "decode", "--spec", TestFiles.Packager("iso87binary.xml"), "--file", path);
            Assert.Equal(SampleJson, CliRunner.AssertSuccess(r));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Nested_packager_decodes_headers_and_sub_messages()
    {
        // Packagers/nested.xml: header 010203, fields 2, 48 (fixed sub-fields), 62 (Base1), 127 (bitmapped, own header).
        string hex = "010203" + "30323030" + "C000000000010004" + "0000000000000002" + "3136" + "34313131313131313131313131313131"
            + "303131" + "414243" + "30303432" + "3032" + "6869"
            + "11" + "C000000000000000" + "59" + "0123456789012345"
            + "0023" + "0A0B" + "7000000000000000" + "48454C4C4F" + "0178" + "3034" + "41424344";
        const string json =
            "{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"2\":\"4111111111111111\","
            + "\"48\":{\"fields\":{\"1\":\"ABC\",\"2\":\"0042\",\"3\":\"hi\"}},"
            + "\"62\":{\"fields\":{\"1\":\"Y\",\"2\":\"123456789012345\"}},"
            + "\"127\":{\"header\":\"0A0B\",\"fields\":{\"2\":\"HELLO\",\"3\":\"x\",\"4\":{\"fields\":{\"1\":\"AB\",\"2\":\"CD\"}}}}}}";
        var r = CliRunner.Run("iso8583", "decode", "--spec", TestFiles.Packager("nested.xml"), "--hex", hex);
        Assert.Equal(json, CliRunner.AssertSuccess(r));
        Assert.Equal(hex, CliRunner.AssertSuccess(CliRunner.RunWithStdin(json, "iso8583", "encode", "--spec", TestFiles.Packager("nested.xml"))));
    }

    [Fact]
    public void Json_spec_file_decodes_and_empty_bitmap_gives_empty_fields()
    {
        string path = Path.Combine(Path.GetTempPath(), $"switch-cli-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """
                {"name": "tiny", "fields": {
                  "0": {"type": "numeric", "length": 4, "encoding": "ascii"},
                  "1": {"type": "bitmap", "length": 8, "encoding": "ascii-hex"},
                  "2": {"type": "string", "length": 10, "prefix": "LL", "encoding": "ascii"}
                }}
                """);
            var r = CliRunner.Run("iso8583", "decode", "--spec", path, "--hex", "30383030" + "30303030303030303030303030303030");
            Assert.Equal("{\"mti\":\"0800\",\"fields\":{}}", CliRunner.AssertSuccess(r));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Hex_input_may_contain_whitespace_and_lowercase()
    {
        string hex = TestFiles.SampleHex("iso87binary-0200.hex").ToLowerInvariant();
        string spaced = string.Join(' ', Enumerable.Range(0, hex.Length / 8).Select(i => hex.Substring(i * 8, 8))) + " " + hex[(hex.Length / 8 * 8)..];
        Assert.Equal(SampleJson, CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--hex", spaced)));
    }

    [Fact]
    public void Raw_ascii_message_of_only_hex_digits_in_a_file_is_read_as_raw_bytes()
    {
        // An ASCII 0800 whose every byte is a hex digit: the hex reading does not decode, the raw one does.
        const string raw = "0800822000000000000004000000000000001125123456123456301";
        string path = Path.Combine(Path.GetTempPath(), $"switch-cli-{Guid.NewGuid():N}.msg");
        File.WriteAllText(path, raw);
        try
        {
            string json = CliRunner.AssertSuccess(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-ascii", "--file", path));
            Assert.Equal("{\"mti\":\"0800\",\"fields\":{\"7\":\"1125123456\",\"11\":\"123456\",\"70\":\"301\"}}", json);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
