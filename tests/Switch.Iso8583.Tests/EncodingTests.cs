using Switch.Iso8583.Codecs;

namespace Switch.Iso8583.Tests;

/// <summary>Value encodings on their own: EBCDIC code pages, BCD padding and track-2 nibbles, hex text.</summary>
public sealed class EncodingTests
{
    private static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    public static TheoryData<string> EbcdicPages => new() { "037", "500", "1047" };

    private static TextEncoding Page(string cp) => cp switch
    {
        "037" => TextEncoding.Ebcdic037,
        "500" => TextEncoding.Ebcdic500,
        _ => TextEncoding.Ebcdic1047,
    };

    [Theory]
    [MemberData(nameof(EbcdicPages))]
    public void Ebcdic_code_page_round_trips_all_256_bytes(string cp)
    {
        var enc = Page(cp);
        string text = enc.Decode(AllBytes, 256);
        Assert.Equal(256, text.Distinct().Count());
        var back = new byte[256];
        enc.Encode(text, 256, Padding.RightSpaces, back);
        Assert.Equal(AllBytes, back);
    }

    [Theory]
    [InlineData("037", 0xBA)]
    [InlineData("500", 0x4A)]
    [InlineData("1047", 0xAD)]
    public void Ebcdic_code_pages_differ_where_the_standards_say(string cp, int bracket)
    {
        var enc = Page(cp);
        var dest = new byte[5];
        enc.Encode("[A0 a", 5, Padding.RightSpaces, dest);
        Assert.Equal(new byte[] { (byte)bracket, 0xC1, 0xF0, 0x40, 0x81 }, dest);
    }

    [Fact]
    public void Ebcdic_pads_with_the_ebcdic_space_and_zero()
    {
        var dest = new byte[4];
        TextEncoding.Ebcdic1047.Encode("AB", 4, Padding.RightSpaces, dest);
        Assert.Equal(new byte[] { 0xC1, 0xC2, 0x40, 0x40 }, dest);
        TextEncoding.Ebcdic1047.Encode("7", 4, Padding.LeftZeros, dest);
        Assert.Equal(new byte[] { 0xF0, 0xF0, 0xF0, 0xF7 }, dest);
    }

    [Fact]
    public void Ascii_is_byte_transparent_for_all_256_bytes()
    {
        string text = TextEncoding.Ascii.Decode(AllBytes, 256);
        Assert.Equal(new string(Enumerable.Range(0, 256).Select(i => (char)i).ToArray()), text);
        var back = new byte[256];
        TextEncoding.Ascii.Encode(text, 256, Padding.RightSpaces, back);
        Assert.Equal(AllBytes, back);
    }

    [Fact]
    public void Text_rejects_characters_beyond_one_byte()
    {
        Assert.Throws<ValueFormatException>(() => TextEncoding.Ascii.UnitsOf("ok€"));
        Assert.Throws<ValueFormatException>(() => TextEncoding.Ebcdic037.UnitsOf("ok€"));
    }

    [Theory]
    [InlineData(true, "123", "0123")]
    [InlineData(false, "123", "1230")]
    [InlineData(true, "1234", "1234")]
    [InlineData(false, "1234", "1234")]
    [InlineData(true, "1", "01")]
    [InlineData(false, "", "")]
    public void Bcd_puts_the_pad_nibble_left_or_right(bool padLeft, string digits, string wireHex)
    {
        var bcd = new BcdEncoding(padLeft);
        var dest = new byte[bcd.WireBytes(digits.Length)];
        bcd.Encode(digits, digits.Length, Padding.LeftZeros, dest);
        Assert.Equal(wireHex, Convert.ToHexString(dest));
        Assert.Equal(digits, bcd.Decode(dest, digits.Length));
    }

    [Fact]
    public void Bcd_fixed_field_is_zero_filled_on_the_left_before_packing()
    {
        var dest = new byte[3];
        BcdEncoding.LeftPadded.Encode("51", 5, Padding.LeftZeros, dest);
        Assert.Equal("000051", Convert.ToHexString(dest));
        Assert.Equal("00051", BcdEncoding.LeftPadded.Decode(dest, 5));
    }

    [Fact]
    public void Bcd_nibble_D_is_shown_as_equals_and_equals_encodes_as_D()
    {
        var track = new BcdEncoding(padLeft: false, allowSeparator: true);
        var dest = new byte[3];
        track.Encode("47=28", 5, Padding.LeftZeros, dest);
        Assert.Equal("47D280", Convert.ToHexString(dest));
        Assert.Equal("47=28", track.Decode(dest, 5));
        Assert.Equal("1=", track.Decode(Convert.FromHexString("1D"), 2));
        // Outside track data the separator is not a digit either, on decode and on set.
        Assert.Throws<ValueFormatException>(() => BcdEncoding.RightPadded.Decode(Convert.FromHexString("1D"), 2));
        Assert.Throws<ValueFormatException>(() => BcdEncoding.RightPadded.UnitsOf("47=28"));
        // Nibbles A-C, E and F are not digits: jPOS cannot write them and Switch rejects them.
        Assert.Throws<ValueFormatException>(() => BcdEncoding.RightPadded.Decode(Convert.FromHexString("ABCDEF"), 6));
        Assert.Throws<ValueFormatException>(() => BcdEncoding.RightPadded.UnitsOf("12F4"));
    }

    [Theory]
    [InlineData(true, "F123")]
    [InlineData(true, "1123")]
    [InlineData(false, "123F")]
    [InlineData(false, "1231")]
    public void Bcd_rejects_a_pad_nibble_that_is_not_the_expected_one(bool padLeft, string wireHex)
    {
        var bcd = new BcdEncoding(padLeft);
        var ex = Assert.Throws<ValueFormatException>(() => bcd.Decode(Convert.FromHexString(wireHex), 3));
        Assert.Equal(padLeft ? 0 : 1, ex.Position);
    }

    [Fact]
    public void Bcd_with_an_F_pad_nibble_writes_and_expects_F()
    {
        var bcd = new BcdEncoding(false, 0xF);
        var dest = new byte[2];
        bcd.Encode("123", 3, Padding.LeftZeros, dest);
        Assert.Equal("123F", Convert.ToHexString(dest));
        Assert.Equal("123", bcd.Decode(dest, 3));
        Assert.Throws<ValueFormatException>(() => bcd.Decode(Convert.FromHexString("1230"), 3));
    }

    [Fact]
    public void Bcd_rejects_characters_that_are_not_nibbles()
    {
        Assert.Throws<ValueFormatException>(() => BcdEncoding.LeftPadded.UnitsOf("12X"));
        Assert.Throws<ValueFormatException>(() => BcdEncoding.LeftPadded.UnitsOf("1 2"));
    }

    [Fact]
    public void Binary_value_is_uppercase_hex_and_accepts_lowercase_input()
    {
        Assert.Equal("00FFA5", BinaryEncoding.Instance.Decode(new byte[] { 0x00, 0xFF, 0xA5 }, 3));
        var dest = new byte[3];
        BinaryEncoding.Instance.Encode("00ffa5", 3, Padding.RightSpaces, dest);
        Assert.Equal(new byte[] { 0x00, 0xFF, 0xA5 }, dest);
        Assert.Throws<ValueFormatException>(() => BinaryEncoding.Instance.UnitsOf("ABC"));
        Assert.Throws<ValueFormatException>(() => BinaryEncoding.Instance.UnitsOf("GG"));
    }

    [Fact]
    public void Hex_text_writes_uppercase_and_reads_either_case()
    {
        var ascii = new byte[4];
        HexTextEncoding.Ascii.Encode("ab01", 2, Padding.RightSpaces, ascii);
        Assert.Equal("AB01"u8.ToArray(), ascii);
        Assert.Equal("AB01", HexTextEncoding.Ascii.Decode("ab01"u8, 2));
        var ebcdic = new byte[4];
        HexTextEncoding.Ebcdic.Encode("ab01", 2, Padding.RightSpaces, ebcdic);
        Assert.Equal(new byte[] { 0xC1, 0xC2, 0xF0, 0xF1 }, ebcdic);
        Assert.Equal("AB01", HexTextEncoding.Ebcdic.Decode(new byte[] { 0x81, 0x82, 0xF0, 0xF1 }, 2));
        Assert.Throws<ValueFormatException>(() => HexTextEncoding.Ascii.Decode("AG"u8, 1));
    }

    [Fact]
    public void Amount_is_sign_then_digits()
    {
        var amount = new AmountEncoding(TextEncoding.Ascii, BcdEncoding.LeftPadded);
        var dest = new byte[amount.WireBytes(9)];
        Assert.Equal(5, dest.Length);
        amount.Encode("D1000", 9, Padding.LeftZeros, dest);
        Assert.Equal("4400001000", Convert.ToHexString(dest));
        Assert.Equal("D00001000", amount.Decode(dest, 9));
        // The sign is byte-transparent: C or D is a business rule, not the codec's.
        Assert.Equal(5, amount.UnitsOf("X1000"));
        Assert.Equal("E00001000", amount.Decode(Convert.FromHexString("4500001000"), 9));
        Assert.Throws<ValueFormatException>(() => amount.UnitsOf(""));
        Assert.Throws<ValueFormatException>(() => amount.UnitsOf("C10A0"));
        Assert.Throws<ValueFormatException>(() => amount.Decode(Convert.FromHexString("440000100A"), 9));
    }

    [Fact]
    public void An_ebcdic_amount_sign_goes_through_the_code_page_whatever_it_is()
    {
        var amount = new AmountEncoding(TextEncoding.Ebcdic1047, TextEncoding.Ebcdic1047);
        var dest = new byte[3];
        amount.Encode("012", 3, Padding.LeftZeros, dest);
        Assert.Equal("F0F1F2", Convert.ToHexString(dest));
        Assert.Equal("012", amount.Decode(dest, 3));
        Assert.Equal("X12", amount.Decode(Convert.FromHexString("E7F1F2"), 3));
    }
}
