namespace Switch.Cli.Tests;

/// <summary>Bad input: exit 1 and exactly one line on stderr naming what is wrong and where; never a stack trace.</summary>
public sealed class ErrorContractTests
{
    private static string BinaryHex => TestFiles.SampleHex("iso87binary-0200.hex");

    private static string Decode(string spec, string hex) =>
        CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", spec, "--hex", hex));

    [Fact]
    public void Truncated_message_names_the_field_and_offset()
    {
        string line = Decode("iso8583-1987-binary", BinaryHex[..^8]);
        Assert.Contains("field 64", line, StringComparison.Ordinal);
        Assert.Contains("offset 214", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_name_the_last_field_and_offset()
    {
        string line = Decode("iso8583-1987-binary", BinaryHex + "00000000");
        Assert.Contains("4 trailing bytes after field 64", line, StringComparison.Ordinal);
        Assert.Contains("offset 222", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Bcd_prefix_nibble_above_9_names_the_field_and_offset()
    {
        string line = Decode("iso8583-1987-binary", "0200" + "4000000000000000" + "1A" + "4761739001010119");
        Assert.Contains("field 2", line, StringComparison.Ordinal);
        Assert.Contains("offset 10", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_hex_bitmap_names_field_1_and_the_offset()
    {
        // ASCII "0200" then bitmap "X000000000000000".
        string line = Decode("iso8583-1987-ascii", "30323030" + "58303030303030303030303030303030");
        Assert.Contains("field 1", line, StringComparison.Ordinal);
        Assert.Contains("offset 4", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Declared_length_above_the_maximum_names_the_field_and_offset()
    {
        // Field 2 (LLNUM, max 19) declares 20 and 20 digits follow.
        string line = Decode("iso8583-1987-ascii", "30323030" + "34303030303030303030303030303030" + "3230" + string.Concat(Enumerable.Repeat("31", 20)));
        Assert.Contains("field 2", line, StringComparison.Ordinal);
        Assert.Contains("offset 20", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_value_inside_a_sub_message_names_the_carrier_field()
    {
        // Field 127's payload (5 bytes) holds its 2-byte header and only 3 of its 8 bitmap bytes.
        string hex = "010203" + "30323030" + "8000000000000000" + "0000000000000002" + "0005" + "0A0B" + "700000";
        string line = Decode(TestFiles.Packager("nested.xml"), hex);
        Assert.Contains("field 127", line, StringComparison.Ordinal);
        Assert.Contains("offset", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_over_64_KiB_is_rejected_before_parsing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"switch-cli-{Guid.NewGuid():N}.bin");
        try
        {
            byte[] big = new byte[65537];
            Convert.FromHexString(BinaryHex).CopyTo(big, 0);
            File.WriteAllBytes(path, big);
            string line = CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--file", path));
            Assert.Contains("65536", line, StringComparison.Ordinal);
            Assert.Contains("offset 0", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("0200ZZ")]
    [InlineData("020")]
    [InlineData("")]
    public void Input_that_is_not_hex_is_an_error(string hex)
    {
        Decode("iso8583-1987-binary", hex);
    }

    [Fact]
    public void Both_hex_and_file_is_an_error()
    {
        CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--hex", "0200", "--file", TestFiles.Sample("iso87binary-0200.hex")));
    }

    [Fact]
    public void Neither_hex_nor_file_is_an_error()
    {
        CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary"));
    }

    [Fact]
    public void Missing_spec_option_is_an_error()
    {
        CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--hex", BinaryHex));
    }

    [Fact]
    public void Unknown_spec_is_an_error_listing_the_built_ins()
    {
        string line = Decode("iso8583-2003-klingon", BinaryHex);
        Assert.Contains("iso8583-1987-binary", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_message_file_is_an_error()
    {
        CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "decode", "--spec", "iso8583-1987-binary", "--file", "/nonexistent/message.hex"));
    }

    [Fact]
    public void Unknown_packager_class_names_the_class_and_line()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "describe", "--spec", TestFiles.Packager("unknown-class.xml")));
        Assert.Contains("IFX_MYSTERY", line, StringComparison.Ordinal);
        Assert.Contains("line 10", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_packager_is_an_error_not_a_crash()
    {
        string path = Path.Combine(Path.GetTempPath(), $"switch-cli-{Guid.NewGuid():N}.xml");
        try
        {
            const int depth = 20000;
            string open = "<isofieldpackager id=\"2\" length=\"999\" name=\"X\" class=\"IFA_LLLCHAR\" packager=\"GenericSubFieldPackager\" emitBitmap=\"false\">";
            File.WriteAllText(path, "<isopackager><isofield id=\"0\" length=\"4\" name=\"M\" class=\"IFA_NUMERIC\"/>"
                + "<isofield id=\"1\" length=\"16\" name=\"B\" class=\"IFA_BITMAP\"/>"
                + string.Concat(Enumerable.Repeat(open, depth)) + "<isofield id=\"1\" length=\"1\" name=\"Y\" class=\"IF_CHAR\"/>"
                + string.Concat(Enumerable.Repeat("</isofieldpackager>", depth)) + "</isopackager>");
            CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "describe", "--spec", path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"52\":\"1A2B\"}}")]
    public void Bad_encode_input_is_an_error(string stdin)
    {
        CliRunner.AssertOneLineError(CliRunner.RunWithStdin(stdin, "iso8583", "encode", "--spec", "iso8583-1987-binary"));
    }

    [Fact]
    public void Encode_error_names_the_field()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.RunWithStdin("{\"mti\":\"0200\",\"fields\":{\"2\":\"47617390010101190000\"}}", "iso8583", "encode", "--spec", "iso8583-1987-binary"));
        Assert.Contains("field 2", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9F02")]
    [InlineData("9F020501")]
    [InlineData("9F")]
    public void Truncated_tlv_is_an_error(string hex)
    {
        CliRunner.AssertOneLineError(CliRunner.Run("tlv", "decode", "--hex", hex));
    }

    [Theory]
    [InlineData("iso8583", "transmogrify")]
    [InlineData("iso8583", "decode", "--spec", "iso8583-1987-binary", "--hex", "0200", "--colour", "red")]
    public void Unknown_verbs_and_options_are_errors(params string[] args)
    {
        CliRunner.AssertOneLineError(CliRunner.Run(args));
    }

    [Fact]
    public void No_verb_at_all_is_an_error()
    {
        CliRunner.AssertOneLineError(CliRunner.Run());
    }
}
