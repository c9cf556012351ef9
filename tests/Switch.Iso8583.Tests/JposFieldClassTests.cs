using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>
/// Every jPOS field class the importer supports, packed and unpacked against bytes worked out by hand
/// from the jPOS wire rules (docs/jpos-field-classes.md).
/// </summary>
public sealed class JposFieldClassTests
{
    // ---- ASCII family ---------------------------------------------------------------------------

    private static readonly string AsciiJson =
        "{\"mti\":\"0800\",\"fields\":{\"2\":\"000123\",\"3\":\"4111111111111111\",\"4\":\"12345\",\"5\":\"hello\",\"6\":\"\","
        + "\"7\":\"abc\",\"8\":\"xyz\",\"9\":\"AB        \",\"10\":\"D00000123\",\"11\":\"0A0B0C0D\",\"12\":\"FF00\",\"13\":\"01\"}}";

    private static byte[] AsciiWire => Cat(
        A("0800"),
        A("7FF8000000000000"), // fields 2-8 (7F) and 9-13 (F8): primary bitmap only, as ASCII hex
        A("000123"),            // IFA_NUMERIC 6: left-filled with '0'
        A("16"), A("4111111111111111"), // IFA_LLNUM
        A("005"), A("12345"),   // IFA_LLLNUM
        A("05"), A("hello"),    // IFA_LLCHAR
        A("000"),               // IFA_LLLCHAR, empty
        A("0003"), A("abc"),    // IFA_LLLLCHAR
        A("000003"), A("xyz"),  // IFA_LLLLLLCHAR: six ASCII digits
        A("AB        "),        // IF_CHAR 10: right-filled with spaces
        A("D00000123"),         // IFA_AMOUNT 9: sign, then digits left-filled to 8
        A("0A0B0C0D"),          // IFA_BINARY 4: 4 bytes as 8 uppercase ASCII hex characters
        A("02"), H("FF00"),     // IFA_LLBINARY: ASCII byte count, raw bytes
        A("001"), H("01"));     // IFA_LLLBINARY

    [Fact]
    public void Ascii_family_packs_to_the_jpos_bytes()
    {
        var spec = Packager("ifa-classes.xml");
        var msg = spec.NewMessage("0800")
            .Set(2, "123").Set(3, "4111111111111111").Set(4, "12345").Set(5, "hello").Set(6, "")
            .Set(7, "abc").Set(8, "xyz").Set(9, "AB").Set(10, "D123").Set(11, "0A0B0C0D").Set(12, "FF00").Set(13, "01");
        Assert.Equal(Convert.ToHexString(AsciiWire), Convert.ToHexString(spec.Encode(msg)));
    }

    [Fact]
    public void Ascii_family_unpacks_the_jpos_bytes()
    {
        var spec = Packager("ifa-classes.xml");
        Assert.Equal(AsciiJson, IsoJson.ToJson(spec.Decode(AsciiWire)));
        Assert.Equal(AsciiWire, spec.Encode(IsoJson.Parse(AsciiJson, spec)));
    }

    [Fact]
    public void IF_NOP_takes_no_bytes()
    {
        var spec = Packager("ifa-classes.xml");
        var msg = spec.NewMessage("0800").Set(14, "").Set(15, "1");
        // Bits 14 and 15: second byte 00000110 = 06.
        byte[] expected = Cat(A("0800"), A("0006000000000000"), A("01"), A("1"));
        Assert.Equal(expected, spec.Encode(msg));
        var back = spec.Decode(expected);
        Assert.Equal("", back.GetString(14));
        Assert.Equal("1", back.GetString(15));
    }

    [Fact]
    public void Fixed_character_field_rejects_a_value_longer_than_its_length()
    {
        var spec = Packager("ifa-classes.xml");
        var ex = Assert.Throws<IsoFormatException>(() => spec.NewMessage("0800").Set(9, "ELEVEN CHAR"));
        Assert.Equal(9, ex.Field);
    }

    [Fact]
    public void Fixed_binary_field_rejects_a_value_of_the_wrong_length()
    {
        var spec = Packager("ifa-classes.xml");
        Assert.Equal(11, Assert.Throws<IsoFormatException>(() => spec.NewMessage("0800").Set(11, "0A0B0C")).Field);
        Assert.Equal(11, Assert.Throws<IsoFormatException>(() => spec.NewMessage("0800").Set(11, "0A0B0C0D0E")).Field);
    }

    // ---- binary / BCD family --------------------------------------------------------------------

    private static byte[] BinaryWire => Cat(
        H("0100"),                      // IFB_NUMERIC 4 pad=true
        H("7FFF800000000000"),          // fields 2-17 (and 19 absent): bytes 7F FF 80
        H("012345"),                    // 2 IFB_NUMERIC 5 pad=true: pad nibble on the left
        H("123450"),                    // 3 IFB_NUMERIC 5 no pad: pad nibble on the right
        H("09"), H("4761928120"),       // 4 IFB_LLNUM: BCD digit count 09, right pad
        H("0005"), H("012345"),         // 5 IFB_LLLNUM pad=true: 2-byte BCD count, left pad
        H("03"), H("9870"),             // 6 IFB_LLHNUM: 1-byte binary digit count
        H("02"), A("AB"),               // 7 IFB_LLCHAR: BCD char count
        H("0003"), A("xyz"),            // 8 IFB_LLLCHAR
        H("0001"), A("Q"),              // 9 IFB_LLLLCHAR: 2-byte BCD count
        H("DEADBEEF"),                  // 10 IFB_BINARY 4
        H("02"), H("0102"),             // 11 IFB_LLBINARY: BCD byte count
        H("0001"), H("AA"),             // 12 IFB_LLLBINARY
        H("02"), H("BBCC"),             // 13 IFB_LLHBINARY: binary byte count
        H("0000"),                      // 14 IFB_LLLLBINARY, empty
        H("43"), H("00000123"),         // 15 IFB_AMOUNT 8 pad=true: raw 'C', 7 digits left-padded
        H("44"), H("00001230"),         // 16 IFB_AMOUNT 8 no pad: raw 'D', 7 digits right-padded
        H("8402000000012345"));         // 17 IFB_AMOUNT2003 16: as IFB_NUMERIC

    private static readonly string BinaryJson =
        "{\"mti\":\"0100\",\"fields\":{\"2\":\"12345\",\"3\":\"12345\",\"4\":\"476192812\",\"5\":\"12345\",\"6\":\"987\",\"7\":\"AB\","
        + "\"8\":\"xyz\",\"9\":\"Q\",\"10\":\"DEADBEEF\",\"11\":\"0102\",\"12\":\"AA\",\"13\":\"BBCC\",\"14\":\"\",\"15\":\"C0000123\","
        + "\"16\":\"D0000123\",\"17\":\"8402000000012345\"}}";

    [Fact]
    public void Binary_family_packs_to_the_jpos_bytes()
    {
        var spec = Packager("ifb-classes.xml");
        var msg = spec.NewMessage("0100")
            .Set(2, "12345").Set(3, "12345").Set(4, "476192812").Set(5, "12345").Set(6, "987").Set(7, "AB").Set(8, "xyz")
            .Set(9, "Q").Set(10, "DEADBEEF").Set(11, "0102").Set(12, "AA").Set(13, "BBCC").Set(14, "").Set(15, "C123")
            .Set(16, "D123").Set(17, "8402000000012345");
        Assert.Equal(Convert.ToHexString(BinaryWire), Convert.ToHexString(spec.Encode(msg)));
    }

    [Fact]
    public void Binary_family_unpacks_the_jpos_bytes()
    {
        var spec = Packager("ifb-classes.xml");
        Assert.Equal(BinaryJson, IsoJson.ToJson(spec.Decode(BinaryWire)));
        Assert.Equal(BinaryWire, spec.Encode(IsoJson.Parse(BinaryJson, spec)));
    }

    [Fact]
    public void IFB_LLHNUM_with_pad_puts_the_pad_nibble_on_the_left()
    {
        var spec = Packager("ifb-classes.xml");
        // Field 19 alone: bitmap byte 2 = bits 17-24, bit 19 = 0x20.
        byte[] wire = Cat(H("0100"), H("0000200000000000"), H("03"), H("0123"));
        Assert.Equal(wire, spec.Encode(spec.NewMessage("0100").Set(19, "123")));
        Assert.Equal("123", spec.Decode(wire).GetString(19));
    }

    [Theory]
    [InlineData("58", "X")]
    [InlineData("30", "0")]
    [InlineData("00", "\u0000")]
    [InlineData("FF", "\u00FF")]
    public void IFB_AMOUNT_keeps_any_sign_byte_as_it_is(string signHex, string sign)
    {
        var spec = Packager("ifb-classes.xml");
        byte[] wire = Cat(H("0100"), H("0002000000000000"), H(signHex), H("00000123")); // field 15
        var msg = spec.Decode(wire);
        Assert.Equal(sign + "0000123", msg[15]); // 7 digits, pad nibble on the left
        Assert.Equal(wire, spec.Encode(msg));
        Assert.Equal(wire, spec.Encode(spec.NewMessage("0100").Set(15, sign + "123")));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(IsoJson.ToJson(msg), spec)));
    }

    // ---- EBCDIC family --------------------------------------------------------------------------

    private static byte[] EbcdicWire => Cat(
        H("F0F2F0F0"),                          // IFE_NUMERIC 4 "0200"
        H("F7C6C3F0F0F0F0F0F0F0F0F0F0F0F0F0"),  // IFE_BITMAP: "7FC0000000000000" in EBCDIC hex (fields 2-10)
        H("F0F0F0F0F4F2"),                      // 2 IFE_NUMERIC 6 "000042"
        H("C182F14040404040"),                  // 3 IFE_CHAR 8 "Ab1" + 5 spaces (0x40)
        H("F0F3"), H("F1F2F3"),                 // 4 IFE_LLNUM "123"
        H("F0F3"), H("88895A"),                 // 5 IFE_LLCHAR "hi!"
        H("F0F0F1"), H("AD"),                   // 6 IFE_LLLCHAR "[" (0xAD in IBM-1047; 0xBA in 037, 0x4A in 500)
        H("C3"), H("F0F0F0F0F0F0F4F2"),         // 7 IFE_AMOUNT 9: EBCDIC 'C' then 8 EBCDIC digits
        H("F0C1F1C2F2C3F3C4"),                  // 8 IFE_BINARY 4: "0A1B2C3D" as EBCDIC hex characters
        H("F0F2"), H("FF01"),                   // 9 IFE_LLBINARY: EBCDIC byte count, raw bytes
        H("F0F0F0"));                           // 10 IFE_LLLBINARY, empty

    private static readonly string EbcdicJson =
        "{\"mti\":\"0200\",\"fields\":{\"2\":\"000042\",\"3\":\"Ab1     \",\"4\":\"123\",\"5\":\"hi!\",\"6\":\"[\",\"7\":\"C00000042\","
        + "\"8\":\"0A1B2C3D\",\"9\":\"FF01\",\"10\":\"\"}}";

    [Fact]
    public void Ebcdic_family_packs_to_the_jpos_bytes()
    {
        var spec = Packager("ife-classes.xml");
        var msg = spec.NewMessage("0200")
            .Set(2, "42").Set(3, "Ab1").Set(4, "123").Set(5, "hi!").Set(6, "[").Set(7, "C42").Set(8, "0A1B2C3D")
            .Set(9, "FF01").Set(10, "");
        Assert.Equal(Convert.ToHexString(EbcdicWire), Convert.ToHexString(spec.Encode(msg)));
    }

    [Fact]
    public void Ebcdic_family_unpacks_the_jpos_bytes()
    {
        var spec = Packager("ife-classes.xml");
        Assert.Equal(EbcdicJson, IsoJson.ToJson(spec.Decode(EbcdicWire)));
        Assert.Equal(EbcdicWire, spec.Encode(IsoJson.Parse(EbcdicJson, spec)));
    }

    [Fact]
    public void Ebcdic_length_prefix_rejects_a_byte_that_is_not_an_ebcdic_digit()
    {
        var spec = Packager("ife-classes.xml");
        // Field 4 alone (bitmap "1000000000000000"), prefix "0" then ASCII '3' (0x33), not EBCDIC.
        byte[] wire = Cat(H("F0F2F0F0"), H("F1F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0"), H("F033"), H("F1F2F3"));
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(wire));
        Assert.Equal(4, ex.Field);
        Assert.Equal(21, ex.Offset);
    }

    // ---- importer rules -------------------------------------------------------------------------

    [Fact]
    public void Unknown_class_is_an_error_naming_the_class_and_its_line()
    {
        var ex = Assert.Throws<IsoFormatException>(() => Packager("unknown-class.xml"));
        Assert.Contains("IFX_MYSTERY", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_jpos_doctype_is_accepted_and_nothing_is_fetched()
    {
        // An external entity declared in the DOCTYPE must not be resolved (no DTD processing at all).
        string xml = """
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <!DOCTYPE isopackager PUBLIC
                    "-//jPOS/jPOS Generic Packager DTD 1.0//EN"
                    "http://jpos.org/dtd/generic-packager-1.0.dtd">
            <isopackager>
              <isofield id="0" length="4" name="MTI" class="IFA_NUMERIC"/>
              <isofield id="1" length="16" name="BITMAP" class="IFA_BITMAP"/>
              <isofield id="2" length="19" name="PAN" class="IFA_LLNUM"/>
            </isopackager>
            """;
        var spec = JposPackagerImporter.Parse(System.Text.Encoding.UTF8.GetBytes(xml), "inline.xml");
        Assert.Equal("1", spec.Decode(Cat(A("0200"), A("4000000000000000"), A("01"), A("1"))).GetString(2));
    }

    [Fact]
    public void A_doctype_with_an_external_entity_is_not_expanded()
    {
        string xml = """
            <?xml version="1.0"?>
            <!DOCTYPE isopackager [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
            <isopackager>
              <isofield id="0" length="4" name="&secret;" class="IFA_NUMERIC"/>
              <isofield id="1" length="16" name="BITMAP" class="IFA_BITMAP"/>
            </isopackager>
            """;
        // Either the entity is refused (format error) or left unexpanded; it must never be read.
        try
        {
            var spec = JposPackagerImporter.Parse(System.Text.Encoding.UTF8.GetBytes(xml), "entity.xml");
            Assert.DoesNotContain("root:", spec[0]!.Name, StringComparison.Ordinal);
        }
        catch (IsoFormatException)
        {
        }
    }

    [Fact]
    public void Malformed_xml_is_a_format_error_naming_the_source()
    {
        var ex = Assert.Throws<IsoFormatException>(() => JposPackagerImporter.Parse("<isopackager><isofield"u8.ToArray(), "broken.xml"));
        Assert.Contains("broken.xml", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<isofield id=\"2\" length=\"19\" name=\"PAN\"/>", "class")]
    [InlineData("<isofield id=\"2\" name=\"PAN\" class=\"IFA_LLNUM\"/>", "length")]
    [InlineData("<isofield length=\"19\" name=\"PAN\" class=\"IFA_LLNUM\"/>", "id")]
    [InlineData("<isofield id=\"2\" length=\"abc\" name=\"PAN\" class=\"IFA_LLNUM\"/>", "length")]
    [InlineData("<isofield id=\"2\" length=\"100\" name=\"PAN\" class=\"IFA_LLNUM\"/>", "2")]
    [InlineData("<isofield id=\"200\" length=\"1\" name=\"X\" class=\"IF_CHAR\"/>", "200")]
    [InlineData("<something/>", "something")]
    public void Bad_field_definitions_are_format_errors_naming_the_line(string field, string mentions)
    {
        string xml = "<isopackager>\n<isofield id=\"0\" length=\"4\" name=\"MTI\" class=\"IFA_NUMERIC\"/>\n"
            + "<isofield id=\"1\" length=\"16\" name=\"BITMAP\" class=\"IFA_BITMAP\"/>\n" + field + "\n</isopackager>";
        var ex = Assert.Throws<IsoFormatException>(() => JposPackagerImporter.Parse(System.Text.Encoding.UTF8.GetBytes(xml), "bad.xml"));
        Assert.Contains("line 4", ex.Message, StringComparison.Ordinal);
        Assert.Contains(mentions, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_loads_a_packager_file_by_path()
    {
        var spec = SpecCatalog.Resolve(PackagerPath("iso87binary.xml"));
        Assert.Equal(TestData.SampleJson, IsoJson.ToJson(spec.Decode(BinarySample)));
    }
}
