using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Tlv;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>Every read has a maximum: message size, TLV depth and object count.</summary>
public sealed class LimitTests
{
    [Fact]
    public void Default_maximum_message_size_is_64_KiB()
    {
        Assert.Equal(65536, SpecCatalog.BuiltIn("iso8583-1987-binary").MaxMessageBytes);
    }

    [Fact]
    public void Message_over_the_maximum_is_rejected_before_parsing()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        byte[] huge = Cat(BinarySample, new byte[65536 - 222 + 1]);
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(huge));
        Assert.Equal(0, ex.Offset);
        Assert.Contains("65537", ex.Reason, StringComparison.Ordinal);
        Assert.Throws<IsoFormatException>(() => spec.Decode(new System.Buffers.ReadOnlySequence<byte>(huge)));
    }

    private static MessageSpec SmallSpec(int maxBytes, int maxDepth = 8) => SpecJson.Parse(System.Text.Encoding.UTF8.GetBytes($$"""
        {
          "name": "small", "maxMessageBytes": {{maxBytes}}, "maxTlvDepth": {{maxDepth}},
          "fields": {
            "0": {"type": "numeric", "length": 4, "encoding": "ascii"},
            "1": {"type": "bitmap", "length": 8, "encoding": "binary"},
            "2": {"type": "string", "length": 999, "prefix": "LLL", "encoding": "ascii"},
            "55": {"type": "binary", "length": 999, "prefix": "LLL", "prefixEncoding": "bcd", "encoding": "binary", "tlv": true}
          }
        }
        """), "small.json");

    [Fact]
    public void A_spec_may_lower_the_maximum_and_it_applies_to_decode_and_encode()
    {
        var spec = SmallSpec(100);
        var msg = spec.NewMessage("0200").Set(2, new string('x', 200));
        var encodeError = Assert.Throws<IsoFormatException>(() => spec.Encode(msg));
        Assert.Contains("100", encodeError.Reason, StringComparison.Ordinal);
        byte[] wire = Cat(A("0200"), H("4000000000000000"), A("200"), A(new string('x', 200)));
        Assert.Throws<IsoFormatException>(() => spec.Decode(wire));
    }

    private static byte[] Nested(int depth, byte[] leaf)
    {
        byte[] content = leaf;
        for (int i = 0; i < depth; i++) content = Cat(H("E1"), Length(content.Length), content);
        return content;
    }

    private static byte[] Length(int n) => n < 0x80 ? [(byte)n] : n < 0x100 ? [0x81, (byte)n] : [0x82, (byte)(n >> 8), (byte)n];

    [Fact]
    public void Tlv_nesting_up_to_the_limit_is_accepted()
    {
        var nodes = BerTlv.Parse(Nested(8, H("9F0201 05")));
        var node = nodes[0];
        for (int i = 1; i < 8; i++) node = node.Children![0];
        Assert.Equal("9F02", node.Children![0].Tag);
    }

    [Fact]
    public void Tlv_nesting_beyond_the_limit_is_rejected()
    {
        var ex = Assert.Throws<TlvFormatException>(() => BerTlv.Parse(Nested(9, H("9F0201 05"))));
        Assert.Contains("nesting", ex.Reason, StringComparison.Ordinal);
        Assert.Throws<TlvFormatException>(() => BerTlv.Validate(Nested(9, H("9F0201 05"))));
    }

    [Fact]
    public void Very_deep_tlv_is_rejected_without_exhausting_the_stack()
    {
        byte[] deep = Nested(20000, H("9F0201 05"));
        Assert.Throws<TlvFormatException>(() => BerTlv.Parse(deep));
        Assert.Throws<TlvFormatException>(() => BerTlv.Validate(deep));
    }

    [Fact]
    public void Deep_tlv_in_a_tlv_field_is_a_format_error_naming_the_field()
    {
        var spec = SmallSpec(65536, maxDepth: 3);
        byte[] tlv = Nested(4, H("9F0201 05"));
        byte[] wire = Cat(A("0200"), H("0000000000000200"), H("00" + tlv.Length.ToString("D2")), tlv);
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(wire));
        Assert.Equal(55, ex.Field);
        byte[] allowed = Nested(3, H("9F0201 05"));
        byte[] ok = Cat(A("0200"), H("0000000000000200"), H("00" + allowed.Length.ToString("D2")), allowed);
        Assert.Equal(Convert.ToHexString(allowed), spec.Decode(ok).GetString(55));
    }

    [Fact]
    public void Tlv_field_with_malformed_tlv_is_rejected_at_the_bad_byte()
    {
        var spec = SmallSpec(65536);
        // 9F02 declares 6 value bytes, only 2 follow. Value starts at 4 + 8 + 2 = 14; the cut value at 17.
        byte[] wire = Cat(A("0200"), H("0000000000000200"), H("0005"), H("9F02061234"));
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(wire));
        Assert.Equal(55, ex.Field);
        Assert.Equal(17, ex.Offset);
    }

    [Fact]
    public void Huge_number_of_tlv_objects_is_rejected()
    {
        byte[] many = Enumerable.Repeat(H("8100"), BerTlv.MaxObjects + 1).SelectMany(b => b).ToArray();
        var ex = Assert.Throws<TlvFormatException>(() => BerTlv.Parse(many));
        Assert.Contains("more than", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_declared_tlv_length_is_rejected()
    {
        Assert.Throws<TlvFormatException>(() => BerTlv.Parse(H("9F02 84 7FFFFFFF 00")));
        Assert.Throws<TlvFormatException>(() => BerTlv.Parse(H("9F02 84 FFFFFFFF 00")));
        Assert.Throws<TlvFormatException>(() => BerTlv.Parse(H("9F02 85 0000000001 00")));
    }
}
