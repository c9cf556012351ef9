namespace Switch.Cli.Tests;

/// <summary><c>switch tlv decode</c>: BER-TLV as a JSON array.</summary>
public sealed class TlvCommandTests
{
    private static string Decode(string hex) => CliRunner.AssertSuccess(CliRunner.Run("tlv", "decode", "--hex", hex));

    [Fact]
    public void Nested_constructed_tags_have_children()
    {
        Assert.Equal(
            "[{\"tag\":\"6F\",\"value\":\"8402A000A50450024142\",\"children\":[{\"tag\":\"84\",\"value\":\"A000\"},"
            + "{\"tag\":\"A5\",\"value\":\"50024142\",\"children\":[{\"tag\":\"50\",\"value\":\"4142\"}]}]}]",
            Decode("6F0A8402A000A50450024142"));
    }

    [Fact]
    public void Zero_padding_is_skipped_and_FF_is_a_tag_byte()
    {
        Assert.Equal("[{\"tag\":\"9C\",\"value\":\"00\"},{\"tag\":\"FF01\",\"value\":\"AA\"},{\"tag\":\"9F02\",\"value\":\"05\"}]",
            Decode("00009C0100 00 FF0101AA 00 9F020105 00"));
    }

    [Fact]
    public void Zero_length_value_is_an_empty_string()
    {
        Assert.Equal("[{\"tag\":\"9F02\",\"value\":\"\"}]", Decode("9F0200"));
    }

    [Fact]
    public void Constructed_tag_with_non_ber_content_has_a_value_and_no_children()
    {
        Assert.Equal("[{\"tag\":\"E1\",\"value\":\"010203\"}]", Decode("E103010203"));
    }

    [Fact]
    public void Sample_de55_decodes_to_its_ten_tags()
    {
        string json = Decode("9F2608A1B2C3D4E5F607189F270180820219809F360200429F370412345678950500000080009A032608229C01005F2A0208409F0206000000012345");
        Assert.StartsWith("[{\"tag\":\"9F26\",\"value\":\"A1B2C3D4E5F60718\"},{\"tag\":\"9F27\",\"value\":\"80\"}", json, StringComparison.Ordinal);
        Assert.EndsWith("{\"tag\":\"9F02\",\"value\":\"000000012345\"}]", json, StringComparison.Ordinal);
    }
}
