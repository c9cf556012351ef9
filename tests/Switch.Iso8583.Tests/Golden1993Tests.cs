using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>
/// A 1200 authorization in the two ISO 8583:1993 built-ins, bytes worked out by hand from jPOS's
/// ISO93APackager / ISO93BPackager layouts (docs/jpos-field-classes.md; binary numerics pad on the right).
/// </summary>
public sealed class Golden1993Tests
{
    private const string Json =
        "{\"mti\":\"1200\",\"fields\":{\"2\":\"4761739001010119\",\"3\":\"000000\",\"4\":\"000000012345\",\"12\":\"260822143015\","
        + "\"22\":\"51010151134C\",\"24\":\"200\",\"25\":\"1508\",\"35\":\"4761739001010119=2812201\",\"43\":\"ACME STORE\","
        + "\"49\":\"840\",\"53\":\"0102\",\"55\":\"" + SampleEmv + "\",\"64\":\"0102030405060708\"}}";

    // Fields 2,3,4 | 12 | 22,24 | 25 | 35 | 43 | 49,53,55 | 64.
    private const string Bitmap = "701005802020" + "8A01";

    private static byte[] BinaryWire => Cat(
        H("1200"), H(Bitmap),
        H("16 4761739001010119"),       // LLNUM: BCD digit count, BCD
        H("000000"), H("000000012345"), H("260822143015"),
        A("51010151134C"),              // 22: IF_CHAR 12
        H("2000"),                      // 24: N 3, pad nibble on the right
        H("1508"),
        H("24"), A("4761739001010119=2812201"), // 35: LLCHAR, BCD count, ASCII
        H("10"), A("ACME STORE"),       // 43: LLCHAR 99
        A("840"),
        H("02 0102"),                   // 53: LLBINARY, BCD byte count
        H("0060"), H(SampleEmv),        // 55: LLLBINARY
        H("0102030405060708"));

    private static byte[] AsciiWire => Cat(
        A("1200"), A(Bitmap),
        A("16"), A("4761739001010119"),
        A("000000"), A("000000012345"), A("260822143015"),
        A("51010151134C"), A("200"), A("1508"),
        A("24"), A("4761739001010119=2812201"),
        A("10"), A("ACME STORE"),
        A("840"),
        A("02"), H("0102"),             // 53: IFA_LLBINARY: ASCII byte count, raw bytes
        A("060"), H(SampleEmv),         // 55: IFA_LLLBINARY
        A("0102030405060708"));         // 64: IFA_BINARY, hex characters

    [Fact]
    public void Binary_1993_message_decodes_to_the_expected_json_and_back()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1993-binary");
        Assert.Equal(Json, IsoJson.ToJson(spec.Decode(BinaryWire)));
        Assert.Equal(Convert.ToHexString(BinaryWire), Convert.ToHexString(spec.Encode(IsoJson.Parse(Json, spec))));
        Assert.Equal(BinaryWire, spec.Encode(spec.Decode(BinaryWire, DecodeMode.Index)));
    }

    [Fact]
    public void Ascii_1993_message_decodes_to_the_expected_json_and_back()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1993-ascii");
        Assert.Equal(Json, IsoJson.ToJson(spec.Decode(AsciiWire)));
        Assert.Equal(Convert.ToHexString(AsciiWire), Convert.ToHexString(spec.Encode(IsoJson.Parse(Json, spec))));
        Assert.Equal(AsciiWire, spec.Encode(spec.Decode(AsciiWire, DecodeMode.Index)));
    }

    [Fact]
    public void The_1987_samples_do_not_decode_as_1993_messages()
    {
        Assert.Throws<IsoFormatException>(() => SpecCatalog.BuiltIn("iso8583-1993-binary").Decode(BinarySample));
        Assert.Throws<IsoFormatException>(() => SpecCatalog.BuiltIn("iso8583-1993-ascii").Decode(AsciiSample));
    }
}
