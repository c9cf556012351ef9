using System.Text.Json;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>The JSON form: byte transparency, padding kept, and errors in JSON input.</summary>
public sealed class JsonValueTests
{
    private static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData("iso8583-1987-ascii", "323536", 48)]   // LLLCHAR, ASCII prefix "256"
    [InlineData("iso8583-1987-binary", "0256", 48)]    // LLLCHAR, BCD prefix 02 56
    [InlineData("iso8583-1987-ebcdic", "F2F5F6", 48)]  // EBCDIC LLL prefix "256"
    public void All_256_byte_values_in_a_character_field_round_trip_through_json(string specName, string prefixHex, int field)
    {
        var spec = SpecCatalog.BuiltIn(specName);
        var mti = specName.EndsWith("binary", StringComparison.Ordinal) ? H("0200")
            : specName.EndsWith("ebcdic", StringComparison.Ordinal) ? H("F0F2F0F0") : A("0200");
        // Field 48: bitmap byte 5 (bits 41-48) = 0x01.
        byte[] bitmap = specName.EndsWith("ascii", StringComparison.Ordinal) ? A("0000000000010000") : H("0000000000010000");
        byte[] wire = Cat(mti, bitmap, H(prefixHex), AllBytes);
        var msg = spec.Decode(wire);
        string json = IsoJson.ToJson(msg);
        using (var doc = JsonDocument.Parse(json))
        {
            string value = doc.RootElement.GetProperty("fields").GetProperty(field.ToString()).GetString()!;
            Assert.Equal(256, value.Length);
            Assert.Equal(256, value.Distinct().Count());
        }
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
    }

    [Fact]
    public void Ascii_field_value_maps_each_byte_to_the_latin1_character()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-ascii");
        byte[] wire = Cat(A("0200"), A("0000000000010000"), A("004"), H("00 7F 80 FF"));
        Assert.Equal("\u0000\u007F\u0080\u00FF", spec.Decode(wire).GetString(48));
    }

    [Fact]
    public void Fixed_length_padding_is_kept_in_the_value()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-ascii");
        var msg = spec.Decode(spec.Encode(spec.NewMessage("0200").Set(4, "777").Set(43, "SHOP")));
        Assert.Equal("000000000777", msg.GetString(4));
        Assert.Equal("SHOP" + new string(' ', 36), msg.GetString(43));
    }

    [Theory]
    [InlineData("not json", -1)]
    [InlineData("[]", -1)]
    [InlineData("{\"fields\":{}}", 0)]
    [InlineData("{\"mti\":200,\"fields\":{}}", 0)]
    [InlineData("{\"mti\":\"0200\",\"fields\":[]}", -1)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"02\":\"1\"}}", -1)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"x\":\"1\"}}", -1)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"2\":4761}}", 2)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"2\":\"47X1\"}}", 2)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"52\":\"1A2B\"}}", 52)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"52\":\"1A2B3C4D5E6F708G\"}}", 52)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"1\":\"FFFFFFFFFFFFFFFF\"}}", 1)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"200\":\"1\"}}", -1)]
    [InlineData("{\"mti\":\"0200\",\"fields\":{\"43\":\"€\"}}", 43)]
    [InlineData("{\"mti\":\"0200\",\"extra\":1,\"fields\":{}}", -1)]
    [InlineData("{\"mti\":\"02000\",\"fields\":{}}", 0)]
    public void Bad_json_is_a_format_error_naming_the_field(string json, int field)
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        var ex = Assert.Throws<IsoFormatException>(() => spec.Encode(IsoJson.Parse(json, spec)));
        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public void Json_keys_are_field_numbers_in_ascending_order()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-ascii");
        var msg = IsoJson.Parse("{\"mti\":\"0200\",\"fields\":{\"70\":\"301\",\"3\":\"000000\",\"11\":\"000001\"}}", spec);
        Assert.Equal("{\"mti\":\"0200\",\"fields\":{\"3\":\"000000\",\"11\":\"000001\",\"70\":\"301\"}}", IsoJson.ToJson(spec.Decode(spec.Encode(msg))));
    }
}
