using Switch.Iso8583.Message;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>
/// Composite fields imported from nested jPOS packagers (Packagers/nested.xml): fixed-position sub-fields,
/// Base1-style bitmapped sub-fields, and a DE 127-style sub-message with its own prefix and header.
/// </summary>
public sealed class SubMessageTests
{
    private static readonly Spec.MessageSpec Spec = Packager("nested.xml");

    private const string Json =
        "{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"2\":\"4111111111111111\","
        + "\"48\":{\"fields\":{\"1\":\"ABC\",\"2\":\"0042\",\"3\":\"hi\"}},"
        + "\"62\":{\"fields\":{\"1\":\"Y\",\"2\":\"123456789012345\"}},"
        + "\"127\":{\"header\":\"0A0B\",\"fields\":{\"2\":\"HELLO\",\"3\":\"x\",\"4\":{\"fields\":{\"1\":\"AB\",\"2\":\"CD\"}}}}}}";

    private static byte[] Field127Payload => Cat(
        H("0A0B"),               // 127's own 2-byte header
        H("7000000000000000"),   // its bitmap (field 1 of the sub-message): sub-fields 2, 3, 4
        A("HELLO"),              // 127.2 IF_CHAR 5
        H("01"), A("x"),         // 127.3 IFB_LLCHAR
        A("04"), A("ABCD"));     // 127.4 IFA_LLCHAR carrying fixed sub-fields "AB" "CD"

    private static byte[] Wire(byte[]? field127 = null, byte[]? field48 = null) => Cat(
        H("010203"),                                   // message header (headerLength="3")
        A("0200"),
        H("C000000000010004"), H("0000000000000002"), // bits 1, 2, 48, 62 | bit 127
        A("16"), A("4111111111111111"),
        field48 ?? Cat(A("011"), A("ABC"), A("0042"), A("02"), A("hi")), // fixed positions, no bitmap
        H("11"),                                       // 62: IFB_LLHBINARY, 17 bytes
        H("C000000000000000"), A("Y"), H("0123456789012345"), // Base1 bitmap at sub-field 0: bits 1, 2
        field127 ?? Cat(H("0023"), Field127Payload));  // 127: IFB_LLLBINARY, 23 bytes

    [Fact]
    public void Sub_messages_decode_to_nested_objects_with_headers()
    {
        Assert.Equal(Json, IsoJson.ToJson(Spec.Decode(Wire())));
    }

    [Fact]
    public void Sub_messages_encode_from_json_to_the_hand_built_bytes()
    {
        Assert.Equal(Convert.ToHexString(Wire()), Convert.ToHexString(Spec.Encode(IsoJson.Parse(Json, Spec))));
    }

    [Fact]
    public void Decode_then_encode_is_byte_identical_in_every_mode()
    {
        foreach (var mode in new[] { DecodeMode.Index, DecodeMode.Strict, DecodeMode.Materialize })
            Assert.Equal(Wire(), Spec.Encode(Spec.Decode(Wire(), mode)));
    }

    [Fact]
    public void Sub_messages_are_read_through_the_api()
    {
        var msg = Spec.Decode(Wire(), DecodeMode.Index);
        var f127 = msg.GetSubMessage(127)!;
        Assert.Equal(H("0A0B"), f127.Header.ToArray());
        Assert.Null(f127.Mti);
        Assert.Equal([2, 3, 4], f127.Fields.ToList());
        Assert.Equal("HELLO", f127.GetString(2));
        Assert.Equal("CD", f127.GetSubMessage(4)!.GetString(2));
        Assert.Equal("123456789012345", msg.GetSubMessage(62)!.GetString(2));
        Assert.Throws<InvalidOperationException>(() => msg.GetString(127));
    }

    [Theory]
    [InlineData(DecodeMode.Index)]
    [InlineData(DecodeMode.Strict)]
    public void Editing_a_decoded_sub_field_re_encodes_the_carrier(DecodeMode mode)
    {
        byte[] buffer = Wire();
        var msg = Spec.Decode(buffer, mode);
        msg.GetSubMessage(127)!.Set(3, "routing");
        byte[] wire = Spec.Encode(msg.Detach());
        Array.Clear(buffer);
        // 127.3 grows from 1 to 7 characters: the LLL prefix grows from 23 to 29.
        byte[] payload = Cat(H("0A0B"), H("7000000000000000"), A("HELLO"), H("07"), A("routing"), A("04"), A("ABCD"));
        Assert.Equal(Convert.ToHexString(Wire(field127: Cat(H("0029"), payload))), Convert.ToHexString(wire));
        Assert.Equal("CD", msg.GetSubMessage(127)!.GetSubMessage(4)!.GetString(2));
    }

    [Fact]
    public void Carrier_payload_with_a_byte_left_over_is_rejected()
    {
        byte[] wire = Wire(field127: Cat(H("0024"), Field127Payload, A("Z")));
        var ex = Assert.Throws<IsoFormatException>(() => Spec.Decode(wire));
        Assert.Equal(127, ex.Field);
        Assert.Contains("1 trailing bytes after field 4", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(98, ex.Offset); // 3 + 4 + 16 + 18 + 14 + 18 = 73 for the prefix; payload at 75; 'Z' is its 24th byte
    }

    [Fact]
    public void Fixed_position_payload_with_a_byte_left_over_is_rejected()
    {
        byte[] wire = Wire(field48: Cat(A("012"), A("ABC"), A("0042"), A("02"), A("hi"), A("Z")));
        var ex = Assert.Throws<IsoFormatException>(() => Spec.Decode(wire));
        Assert.Equal(48, ex.Field);
        Assert.Contains("trailing", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_field_cut_short_inside_its_carrier_is_rejected_with_the_sub_field_named()
    {
        // 127.2 is IF_CHAR 5, but the payload holds only the header, bitmap and 3 characters.
        byte[] wire = Wire(field127: Cat(H("0013"), H("0A0B"), H("4000000000000000"), A("HEL")));
        var ex = Assert.Throws<IsoFormatException>(() => Spec.Decode(wire));
        Assert.Equal(127, ex.Field);
        Assert.Contains("sub-field 2", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(85, ex.Offset); // payload at 75, header 2 and bitmap 8 before 127.2
    }

    [Fact]
    public void Trailing_fixed_position_sub_fields_may_be_absent()
    {
        byte[] wire = Wire(field48: Cat(A("007"), A("ABC"), A("0042")));
        var msg = Spec.Decode(wire);
        Assert.Equal("{\"fields\":{\"1\":\"ABC\",\"2\":\"0042\"}}", SubJson(msg, 48));
        Assert.Equal(wire, Spec.Encode(IsoJson.Parse(IsoJson.ToJson(msg), Spec)));
    }

    [Fact]
    public void Absent_fixed_position_sub_field_before_a_present_one_is_written_empty_as_jpos_does()
    {
        string json = Json.Replace("\"2\":\"0042\",", "", StringComparison.Ordinal);
        byte[] expected = Wire(field48: Cat(A("011"), A("ABC"), A("0000"), A("02"), A("hi")));
        Assert.Equal(expected, Spec.Encode(IsoJson.Parse(json, Spec)));
    }

    [Fact]
    public void Base1_bitmap_announcing_an_undefined_sub_field_is_rejected()
    {
        byte[] wire = Wire();
        int bitmapAt = 3 + 4 + 16 + 18 + 14 + 1;
        wire[bitmapAt] = 0xC8; // adds bit 5
        var ex = Assert.Throws<IsoFormatException>(() => Spec.Decode(wire));
        Assert.Equal(62, ex.Field);
        Assert.Contains("5", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_message_bitmap_announcing_a_secondary_it_cannot_have_is_rejected()
    {
        byte[] payload = Field127Payload;
        payload[2] = 0xF0; // bit 1 on an 8-byte sub-message bitmap
        var ex = Assert.Throws<IsoFormatException>(() => Spec.Decode(Wire(field127: Cat(H("0023"), payload))));
        Assert.Equal(127, ex.Field);
    }

    [Fact]
    public void Empty_sub_message_keeps_its_header_and_bitmap()
    {
        byte[] wire = Wire(field127: Cat(H("0010"), H("0A0B"), H("0000000000000000")));
        var msg = Spec.Decode(wire);
        Assert.Equal("{\"header\":\"0A0B\",\"fields\":{}}", SubJson(msg, 127));
        Assert.Equal(wire, Spec.Encode(IsoJson.Parse(IsoJson.ToJson(msg), Spec)));
    }

    [Theory]
    [InlineData("{\"fields\":{\"2\":\"HELLO\"}}", "header")]
    [InlineData("{\"header\":\"0A0B\",\"mti\":\"0200\",\"fields\":{}}", "mti")]
    [InlineData("{\"header\":\"0A0B\",\"fields\":{\"9\":\"X\"}}", "9")]
    [InlineData("\"HELLO\"", "object")]
    public void Sub_message_json_errors_name_the_carrier_field(string sub, string mentions)
    {
        string json = "{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"127\":" + sub + "}}";
        var ex = Assert.Throws<IsoFormatException>(() => Spec.Encode(IsoJson.Parse(json, Spec)));
        Assert.Equal(127, ex.Field);
        Assert.Contains(mentions, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_field_zero_of_a_bitmapped_sub_message_is_never_read()
    {
        // 127 defines a field 0 (IF_CHAR 0, as DE 127 packagers do); the JSON never shows it.
        var msg = Spec.Decode(Wire());
        Assert.DoesNotContain("\"0\"", IsoJson.ToJson(msg), StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_message_errors_in_index_mode_surface_when_the_field_is_read()
    {
        byte[] wire = Wire(field127: Cat(H("0013"), H("0A0B"), H("4000000000000000"), A("HEL")));
        var msg = Spec.Decode(wire, DecodeMode.Index);
        var ex = Assert.Throws<IsoFormatException>(() => msg.GetSubMessage(127));
        Assert.Equal(127, ex.Field);
    }

    [Fact]
    public void Top_level_header_is_required_to_encode()
    {
        string json = Json.Replace("\"header\":\"010203\",", "", StringComparison.Ordinal);
        Assert.Throws<IsoFormatException>(() => IsoJson.Parse(json, Spec));
    }

    private static string SubJson(IsoMessage msg, int field) => IsoJson.ToJson(msg.GetSubMessage(field)!);

    [Fact]
    public void Sub_fields_carried_as_hex_characters_are_unpacked_from_the_hex()
    {
        var spec = Packager("hex-carrier.xml");
        // 60: IFA_BINARY 6 = 12 ASCII hex characters holding "OK" (4F4B), IFB_NUMERIC 4 0042, IFB_BINARY 2 BEEF.
        // 61: IFE_BINARY 3 = 6 EBCDIC hex characters holding "ABC" (414243).
        // Bitmap: bits 60 and 61 = byte 7 (bits 57-64) 00011000 = 18; primary only, as ASCII hex.
        byte[] wire = Cat(A("0800"), A("0000000000000018"), A("4F4B0042BEEF"), H("F4F1F4F2F4F3"));
        const string json = "{\"mti\":\"0800\",\"fields\":{\"60\":{\"fields\":{\"1\":\"OK\",\"2\":\"0042\",\"3\":\"BEEF\"}},\"61\":{\"fields\":{\"1\":\"ABC\"}}}}";
        Assert.Equal(json, IsoJson.ToJson(spec.Decode(wire)));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
    }

    [Fact]
    public void Hex_carrier_holding_a_character_that_is_not_hex_is_rejected()
    {
        var spec = Packager("hex-carrier.xml");
        byte[] wire = Cat(A("0800"), A("0000000000000010"), A("4F4B0042BEEG"));
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(wire));
        Assert.Equal(60, ex.Field);
        Assert.Equal(31, ex.Offset);
    }

    [Fact]
    public void Ascii_hex_bitmap_of_24_bytes_carries_a_tertiary_bitmap()
    {
        var spec = Packager("hex-carrier.xml");
        // Field 130: bit 1, bit 65, tertiary byte 0 = 0x40, each bitmap as 16 ASCII hex characters.
        byte[] wire = Cat(A("0800"), A("8000000000000000"), A("8000000000000000"), A("4000000000000000"), A("XYZ"));
        Assert.Equal("{\"mti\":\"0800\",\"fields\":{\"130\":\"XYZ\"}}", IsoJson.ToJson(spec.Decode(wire)));
        Assert.Equal(wire, spec.Encode(spec.NewMessage("0800").Set(130, "XYZ")));
    }

    private static Switch.Iso8583.Spec.MessageSpec Inline(string body) => Switch.Iso8583.Spec.JposPackagerImporter.Parse(System.Text.Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE isopackager SYSTEM \"genericpackager.dtd\">\n<isopackager>\n" + body + "\n</isopackager>"), "inline.xml");

    [Fact]
    public void Ebcdic_nested_generic_packager_with_its_bitmap_at_field_0_and_a_header()
    {
        // The iso93ebcdic-custom.xml style: IFE_LLLBINARY carrier, GenericPackager with bitmapField="0",
        // firstField="0", headerLength="1", and an IFE_BITMAP of 2 bytes as sub-field 0.
        var spec = Inline("""
            <isofield id="0" length="4" name="MTI" class="IFE_NUMERIC"/>
            <isofield id="1" length="16" name="BITMAP" class="IFE_BITMAP"/>
            <isofieldpackager id="48" length="256" name="ADDITIONAL" class="org.jpos.iso.IFE_LLLBINARY"
                packager="org.jpos.iso.packager.GenericPackager" emitBitmap="true" bitmapField="0" firstField="0" headerLength="1">
              <isofield id="0" length="2" name="BITMAP" class="IFE_BITMAP"/>
              <isofield id="1" length="2" name="A" class="IFE_CHAR"/>
              <isofield id="3" length="10" name="C" class="IFE_LLCHAR"/>
            </isofieldpackager>
            """);
        byte[] wire = Cat(
            H("F0F1F0F0"),                          // "0100"
            H("F0F0F0F0F0F0F0F0F0F0F0F1F0F0F0F0"),  // bitmap "0000000000010000": field 48
            H("F0F1F2"),                            // 48: EBCDIC LLL "012"
            H("01"),                                // 48's 1-byte header
            H("C1F0F0F0"),                          // its bitmap "A000": sub-fields 1 and 3
            H("C1C2"),                              // 48.1 "AB"
            H("F0F3"), H("A7A8A9"));                // 48.3 LL "03" "xyz"
        const string json = "{\"mti\":\"0100\",\"fields\":{\"48\":{\"header\":\"01\",\"fields\":{\"1\":\"AB\",\"3\":\"xyz\"}}}}";
        Assert.Equal(json, IsoJson.ToJson(spec.Decode(wire)));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
    }

    [Fact]
    public void Field_0_of_a_bitmapped_sub_packager_is_never_read_even_when_it_has_a_length()
    {
        var spec = Inline("""
            <isofield id="0" length="4" name="MTI" class="IFA_NUMERIC"/>
            <isofield id="1" length="16" name="BITMAP" class="IFA_BITMAP"/>
            <isofieldpackager id="127" length="999" name="PRIVATE" class="IFA_LLLCHAR"
                packager="org.jpos.iso.packager.GenericSubFieldPackager" emitBitmap="true">
              <isofield id="0" length="4" name="MTI-LIKE" class="IFA_NUMERIC"/>
              <isofield id="1" length="8" name="BITMAP" class="IFA_BITMAP"/>
              <isofield id="2" length="3" name="X" class="IF_CHAR"/>
            </isofieldpackager>
            """);
        // 127 payload: bitmap "4000000000000000" (sub-field 2) then "abc": 19 bytes.
        byte[] wire = Cat(A("0200"), A("8000000000000000"), A("0000000000000002"), A("019"), A("4000000000000000"), A("abc"));
        const string json = "{\"mti\":\"0200\",\"fields\":{\"127\":{\"fields\":{\"2\":\"abc\"}}}}";
        Assert.Equal(json, IsoJson.ToJson(spec.Decode(wire)));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
    }
}
