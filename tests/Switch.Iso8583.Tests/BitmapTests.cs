using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>Primary, secondary and tertiary bitmaps in binary, ASCII-hex and EBCDIC-hex.</summary>
public sealed class BitmapTests
{
    private static MessageSpec Binary87 => SpecCatalog.BuiltIn("iso8583-1987-binary");
    private static MessageSpec Ascii87 => SpecCatalog.BuiltIn("iso8583-1987-ascii");

    [Fact]
    public void No_secondary_bitmap_is_written_when_only_fields_2_to_64_are_present()
    {
        byte[] wire = Binary87.Encode(Binary87.NewMessage("0800").Set(64, "0102030405060708"));
        Assert.Equal(H("0800 0000000000000001 0102030405060708"), wire);
        Assert.Equal(Cat(A("0800"), A("0000000000000001"), A("0102030405060708")),
            Ascii87.Encode(Ascii87.NewMessage("0800").Set(64, "0102030405060708")));
    }

    [Fact]
    public void A_field_above_64_sets_bit_1_and_writes_the_secondary_bitmap()
    {
        // Field 70 (IFB_NUMERIC 3, pad left): secondary byte 0 holds bits 65-72, bit 70 = 0x04.
        byte[] wire = Binary87.Encode(Binary87.NewMessage("0800").Set(70, "301"));
        Assert.Equal(H("0800 8000000000000000 0400000000000000 0301"), wire);
        Assert.Equal("301", Binary87.Decode(wire).GetString(70));
        byte[] ascii = Ascii87.Encode(Ascii87.NewMessage("0800").Set(70, "301"));
        Assert.Equal(Cat(A("0800"), A("8000000000000000"), A("0400000000000000"), A("301")), ascii);
    }

    [Fact]
    public void In_a_16_byte_bitmap_spec_bit_65_is_an_ordinary_data_field()
    {
        byte[] wire = H("0800 8000000000000000 8000000000000000 7F");
        var msg = Binary87.Decode(wire);
        Assert.Equal([65], msg.Fields.ToList());
        Assert.Equal("7F", msg.GetString(65));
    }

    [Fact]
    public void Tertiary_bitmap_is_announced_by_bit_65_and_field_65_is_never_data()
    {
        var spec = Packager("tertiary.xml");
        Assert.True(spec.HasTertiary);
        // Field 130: bit 1, bit 65, then tertiary byte 0 bit 130 = 0x40. Field 192: tertiary byte 7 = 0x01.
        byte[] wire = H("0800 8000000000000000 8000000000000000 4000000000000001") .Concat(A("ABCDEF")).Concat(H("1122334455667788")).ToArray();
        var msg = spec.Decode(wire);
        Assert.Equal([130, 192], msg.Fields.ToList());
        Assert.False(msg.Has(65));
        Assert.Equal("{\"mti\":\"0800\",\"fields\":{\"130\":\"ABCDEF\",\"192\":\"1122334455667788\"}}", IsoJson.ToJson(msg));
        var built = spec.NewMessage("0800").Set(192, "1122334455667788").Set(130, "ABCDEF");
        Assert.Equal(wire, spec.Encode(built));
    }

    [Fact]
    public void Tertiary_spec_writes_no_tertiary_bitmap_for_fields_up_to_128()
    {
        var spec = Packager("tertiary.xml");
        byte[] wire = spec.Encode(spec.NewMessage("0800").Set(70, "301"));
        Assert.Equal(H("0800 8000000000000000 0400000000000000 0301"), wire);
        Assert.Equal([70], spec.Decode(wire).Fields.ToList());
    }

    [Fact]
    public void Tertiary_spec_refuses_field_65_as_data()
    {
        var spec = Packager("tertiary.xml");
        Assert.Equal(65, Assert.Throws<IsoFormatException>(() => spec.NewMessage("0800").Set(65, "01")).Field);
        string json = "{\"mti\":\"0800\",\"fields\":{\"65\":\"01\"}}";
        Assert.Throws<IsoFormatException>(() => IsoJson.Parse(json, spec));
    }

    [Fact]
    public void Field_above_128_is_refused_by_a_spec_without_a_tertiary_bitmap()
    {
        Assert.Throws<IsoFormatException>(() => Binary87.NewMessage("0800").Set(130, "1"));
    }

    [Fact]
    public void Lowercase_hex_bitmap_is_accepted_and_uppercase_is_written()
    {
        var spec = Packager("ifa-classes.xml");
        // Fields 9-13: bitmap "00F8…", here in lowercase, and an IFA_BINARY value in lowercase too.
        byte[] lower = Cat(A("0800"), A("00f8000000000000"), A("AB        "), A("D00000123"), A("0a0b0c0d"), A("02"), H("FF00"), A("001"), H("01"));
        var msg = spec.Decode(lower);
        Assert.Equal([9, 10, 11, 12, 13], msg.Fields.ToList());
        Assert.Equal("0A0B0C0D", msg.GetString(11));
        byte[] upper = Cat(A("0800"), A("00F8000000000000"), A("AB        "), A("D00000123"), A("0A0B0C0D"), A("02"), H("FF00"), A("001"), H("01"));
        Assert.Equal(upper, spec.Encode(IsoJson.Parse(IsoJson.ToJson(msg), spec)));
        Assert.Equal(upper[4..20], spec.Encode(msg)[4..20]);
    }

    [Theory]
    [InlineData("G000000000000000", 4)]
    [InlineData("000000000000000 ", 19)]
    [InlineData("-100000000000000", 4)]
    public void Invalid_hex_bitmap_is_rejected_at_the_bad_character(string bitmap, int offset)
    {
        var ex = Assert.Throws<IsoFormatException>(() => Ascii87.Decode(Cat(A("0200"), A(bitmap))));
        Assert.Equal(1, ex.Field);
        Assert.Equal(offset, ex.Offset);
    }

    [Fact]
    public void Invalid_ebcdic_hex_bitmap_is_rejected()
    {
        var spec = Packager("ife-classes.xml");
        // ASCII '0' (0x30) is not an EBCDIC hex character.
        byte[] wire = Cat(H("F0F2F0F0"), H("F030F0F0F0F0F0F0F0F0F0F0F0F0F0F0"));
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(wire));
        Assert.Equal(1, ex.Field);
        Assert.Equal(5, ex.Offset);
    }

    [Fact]
    public void Lowercase_ebcdic_hex_bitmap_is_accepted_and_uppercase_is_written()
    {
        var spec = Packager("ife-classes.xml");
        // Fields 5 and 7: byte 0 = 00001010, written "0a" with EBCDIC lowercase 'a' (0x81).
        byte[] lower = Cat(H("F0F2F0F0"), H("F081F0F0F0F0F0F0F0F0F0F0F0F0F0F0"), H("F0F2"), H("8889"), H("C3"), H("F0F0F0F0F0F0F0F1"));
        var msg = spec.Decode(lower);
        Assert.Equal([5, 7], msg.Fields.ToList());
        byte[] upper = spec.Encode(msg);
        Assert.Equal(H("F0C1F0F0F0F0F0F0F0F0F0F0F0F0F0F0"), upper[4..20]);
    }

    [Fact]
    public void Empty_bitmap_decodes_to_empty_fields()
    {
        Assert.Equal("{\"mti\":\"0800\",\"fields\":{}}", IsoJson.ToJson(Binary87.Decode(H("0800 0000000000000000"))));
        Assert.Equal("{\"mti\":\"0800\",\"fields\":{}}", IsoJson.ToJson(Ascii87.Decode(Cat(A("0800"), A("0000000000000000")))));
        Assert.Equal(H("0800 0000000000000000"), Binary87.Encode(IsoJson.Parse("{\"mti\":\"0800\",\"fields\":{}}", Binary87)));
    }

    [Fact]
    public void Unpack_rejects_bitmap_that_announces_missing_fields()
    {
        // Bit 2 set, but the message ends after the bitmap.
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(H("0200 4000000000000000")));
        Assert.Equal(2, ex.Field);
        Assert.Equal(10, ex.Offset);
    }

    [Fact]
    public void Unpack_rejects_bitmap_that_announces_a_field_the_spec_does_not_define()
    {
        var spec = Packager("ifa-classes.xml");
        // Bit 20: byte 2 = bits 17-24, bit 20 = 0x10.
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(Cat(A("0800"), A("0000100000000000"))));
        Assert.Equal(20, ex.Field);
        Assert.Equal(20, ex.Offset);
    }

    [Fact]
    public void Secondary_bitmap_cut_short_is_rejected()
    {
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(H("0800 8000000000000000 0400")));
        Assert.Equal(1, ex.Field);
        Assert.Equal(10, ex.Offset);
    }

    [Fact]
    public void Secondary_bitmap_that_announces_nothing_is_rejected_or_round_trips()
    {
        // Bit 1 set, secondary all zero: accepting it would break decode -> encode byte identity,
        // because the encoder never writes an empty secondary bitmap.
        byte[] wire = H("0800 C000000000000000 0000000000000000 0212");
        AssertRejectedOrIdentical(Binary87, wire);
        AssertRejectedOrIdentical(Ascii87, Cat(A("0800"), A("C000000000000000"), A("0000000000000000"), A("0212")));
    }

    [Fact]
    public void Tertiary_bitmap_that_announces_nothing_is_rejected_or_round_trips()
    {
        var spec = Packager("tertiary.xml");
        AssertRejectedOrIdentical(spec, H("0800 C000000000000000 8000000000000000 0000000000000000 0212"));
    }

    internal static void AssertRejectedOrIdentical(MessageSpec spec, byte[] wire)
    {
        IsoMessage msg;
        try
        {
            msg = spec.Decode(wire);
        }
        catch (IsoFormatException)
        {
            return;
        }
        Assert.Equal(Convert.ToHexString(wire), Convert.ToHexString(spec.Encode(msg)));
    }
}
