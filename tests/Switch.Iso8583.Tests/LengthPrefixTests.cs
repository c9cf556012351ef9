using Switch.Iso8583.Codecs;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>Length prefixes: ASCII, EBCDIC, BCD and binary digits, maximums, and what follows the last field.</summary>
public sealed class LengthPrefixTests
{
    private static MessageSpec Binary87 => SpecCatalog.BuiltIn("iso8583-1987-binary");
    private static MessageSpec Ascii87 => SpecCatalog.BuiltIn("iso8583-1987-ascii");

    [Theory]
    [InlineData(PrefixEncoding.Ascii, 2, 7, "3037")]
    [InlineData(PrefixEncoding.Ascii, 3, 123, "313233")]
    [InlineData(PrefixEncoding.Ascii, 6, 42, "303030303432")]
    [InlineData(PrefixEncoding.Ebcdic, 2, 7, "F0F7")]
    [InlineData(PrefixEncoding.Ebcdic, 3, 123, "F1F2F3")]
    [InlineData(PrefixEncoding.Bcd, 2, 7, "07")]
    [InlineData(PrefixEncoding.Bcd, 3, 123, "0123")]
    [InlineData(PrefixEncoding.Bcd, 4, 9999, "9999")]
    [InlineData(PrefixEncoding.Bcd, 6, 123456, "123456")]
    [InlineData(PrefixEncoding.Bcd, 5, 12345, "012345")]
    [InlineData(PrefixEncoding.Ebcdic, 4, 9999, "F9F9F9F9")]
    [InlineData(PrefixEncoding.Binary, 2, 200, "C8")]
    [InlineData(PrefixEncoding.Binary, 3, 1000, "03E8")]
    public void Prefix_writes_and_reads_its_wire_form(PrefixEncoding encoding, int digits, int length, string wireHex)
    {
        var prefix = LengthPrefix.Variable(digits, encoding);
        Assert.Equal(wireHex.Length / 2, prefix.Bytes);
        var dest = new byte[prefix.Bytes];
        prefix.Write(length, dest);
        Assert.Equal(wireHex, Convert.ToHexString(dest));
        Assert.Equal(length, prefix.Read(dest));
    }

    [Fact]
    public void Bcd_prefix_with_a_nibble_above_9_is_rejected()
    {
        // Field 2 (LL BCD) with prefix 1A.
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(H("0200 4000000000000000 1A 4761739001010119")));
        Assert.Equal(2, ex.Field);
        Assert.Equal(10, ex.Offset);
        var low = Assert.Throws<IsoFormatException>(() => Binary87.Decode(H("0200 4000000000000000 A1 4761739001010119")));
        Assert.Equal(2, low.Field);
    }

    [Fact]
    public void Bcd_three_digit_prefix_above_999_is_rejected()
    {
        // Field 55 (LLL BCD): prefix 10 00 says 1000.
        byte[] wire = Cat(H("0200 0000000000000200 1000"), new byte[1000]);
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(wire));
        Assert.Equal(55, ex.Field);
        Assert.Equal(10, ex.Offset);
    }

    [Theory]
    [InlineData("1A")]
    [InlineData(" 6")]
    [InlineData("-1")]
    [InlineData("+9")]
    public void Ascii_prefix_that_is_not_decimal_digits_is_rejected(string prefix)
    {
        var ex = Assert.Throws<IsoFormatException>(() => Ascii87.Decode(Cat(A("0200"), A("4000000000000000"), A(prefix), A("4761739001010119"))));
        Assert.Equal(2, ex.Field);
        Assert.InRange(ex.Offset, 20, 21);
    }

    [Fact]
    public void Declared_length_above_the_maximum_is_rejected_even_when_the_bytes_follow()
    {
        // Field 2 is LLNUM with maximum 19; declare 20 and supply 20 digits.
        var ex = Assert.Throws<IsoFormatException>(() => Ascii87.Decode(Cat(A("0200"), A("4000000000000000"), A("20"), A("47617390010101190000"))));
        Assert.Equal(2, ex.Field);
        Assert.Equal(20, ex.Offset);
        var bin = Assert.Throws<IsoFormatException>(() => Binary87.Decode(H("0200 4000000000000000 20 47617390010101190000")));
        Assert.Equal(2, bin.Field);
        Assert.Equal(10, bin.Offset);
    }

    [Fact]
    public void Value_longer_than_the_maximum_is_refused_when_set()
    {
        Assert.Equal(2, Assert.Throws<IsoFormatException>(() => Ascii87.NewMessage("0200").Set(2, "47617390010101190000")).Field);
    }

    [Theory]
    [InlineData(1, 218)]
    [InlineData(4, 218)]
    [InlineData(100, 218)]
    public void Trailing_bytes_after_the_last_field_are_rejected(int extra, int offset)
    {
        byte[] wire = Cat(BinarySample, new byte[extra]);
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(wire));
        Assert.Equal($"{extra} trailing bytes after field 64", ex.Reason);
        Assert.Equal(offset + 4, ex.Offset);
    }

    [Fact]
    public void Trailing_bytes_after_an_empty_bitmap_are_rejected()
    {
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(H("0800 0000000000000000 FFFF")));
        Assert.Equal("2 trailing bytes after the bitmap", ex.Reason);
        Assert.Equal(10, ex.Offset);
    }

    [Fact]
    public void Value_cut_short_names_the_field_and_offset()
    {
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(BinarySample.AsMemory(0, 218)));
        Assert.Equal(64, ex.Field);
        Assert.Equal(214, ex.Offset);
        Assert.Contains("field 64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("offset 214", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prefix_cut_short_names_the_field_and_offset()
    {
        // Field 55's LLL prefix is 2 BCD bytes: MTI 2, bitmap 8, then keep only one prefix byte.
        byte[] wire = Binary87.Encode(Binary87.NewMessage("0200").Set(55, "9F2601AA"));
        Assert.Equal(H("0200 0000000000000200 0004 9F2601AA"), wire);
        var ex = Assert.Throws<IsoFormatException>(() => Binary87.Decode(wire.AsMemory(0, 11)));
        Assert.Equal(55, ex.Field);
        Assert.Equal(10, ex.Offset);
    }

    [Fact]
    public void Binary_prefix_reads_up_to_255_in_one_byte()
    {
        var spec = Packager("ifb-classes.xml");
        byte[] value = Enumerable.Range(0, 255).Select(i => (byte)i).ToArray();
        // Field 13 is IFB_LLHBINARY 255: bitmap byte 1 bit 13 = 0x08.
        byte[] wire = Cat(H("0100 0008000000000000 FF"), value);
        var msg = spec.Decode(wire);
        Assert.Equal(Convert.ToHexString(value), msg.GetString(13));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(IsoJson.ToJson(msg), spec)));
    }
}
