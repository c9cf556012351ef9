using Switch.Iso8583.Tlv;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>BER-TLV as EMV uses it in DE 55.</summary>
public sealed class BerTlvTests
{
    private static string Hex(ReadOnlyMemory<byte> m) => Convert.ToHexString(m.Span);

    [Fact]
    public void Sample_de55_parses_into_its_ten_tags()
    {
        var nodes = BerTlv.Parse(H(SampleEmv));
        Assert.Equal(["9F26", "9F27", "82", "9F36", "9F37", "95", "9A", "9C", "5F2A", "9F02"], nodes.Select(n => n.Tag));
        Assert.Equal("A1B2C3D4E5F60718", Hex(nodes[0].Value));
        Assert.Equal("000000012345", Hex(nodes[9].Value));
        Assert.All(nodes, n => Assert.Null(n.Children));
    }

    [Fact]
    public void Constructed_tags_have_children()
    {
        // 6F { 84 A000, A5 { 50 "AB" } }
        var nodes = BerTlv.Parse(H("6F0A 8402A000 A504 50024142"));
        var fci = Assert.Single(nodes);
        Assert.Equal("6F", fci.Tag);
        Assert.True(fci.IsConstructed);
        Assert.Equal(["84", "A5"], fci.Children!.Select(c => c.Tag));
        Assert.Equal("4142", Hex(fci.Children![1].Children![0].Value));
    }

    [Fact]
    public void Zero_bytes_between_objects_are_padding()
    {
        var nodes = BerTlv.Parse(H("00 9F020105 0000 9C0100 00"));
        Assert.Equal(["9F02", "9C"], nodes.Select(n => n.Tag));
    }

    [Fact]
    public void FF_is_a_tag_byte_not_padding()
    {
        var nodes = BerTlv.Parse(H("FF0101AA 9C0100"));
        Assert.Equal(["FF01", "9C"], nodes.Select(n => n.Tag));
        Assert.Equal("AA", Hex(nodes[0].Value));
    }

    [Fact]
    public void Zero_length_value_is_empty()
    {
        var node = Assert.Single(BerTlv.Parse(H("9F0200")));
        Assert.Equal("", Hex(node.Value));
    }

    [Fact]
    public void Constructed_tag_whose_content_is_not_ber_keeps_the_value_without_children()
    {
        var node = Assert.Single(BerTlv.Parse(H("E103 010203")));
        Assert.Equal("E1", node.Tag);
        Assert.Equal("010203", Hex(node.Value));
        Assert.Null(node.Children);
        BerTlv.Validate(H("E103 010203"));
    }

    [Fact]
    public void Multi_byte_tags_and_long_form_lengths_are_read()
    {
        byte[] value = Enumerable.Repeat((byte)0xAB, 200).ToArray();
        var nodes = BerTlv.Parse(Cat(H("DF8101 8102 AABB"), H("9F1F 81C8"), value, H("5F20 820003 414243")));
        Assert.Equal(["DF8101", "9F1F", "5F20"], nodes.Select(n => n.Tag));
        Assert.Equal(200, nodes[1].Value.Length);
        Assert.Equal("414243", Hex(nodes[2].Value));
    }

    [Theory]
    [InlineData("9F")]           // tag cut short
    [InlineData("9F02")]         // length missing
    [InlineData("9F02 82 01")]   // long-form length cut short
    [InlineData("9F02 05 0102")] // value cut short
    [InlineData("9C")]           // one-byte tag, no length
    [InlineData("9F02 80")]      // indefinite length
    [InlineData("6F05 9F0201")]  // constructed, value cut short
    public void Truncated_tag_length_or_value_is_an_error(string hex)
    {
        Assert.Throws<TlvFormatException>(() => BerTlv.Parse(H(hex)));
        Assert.Throws<TlvFormatException>(() => BerTlv.Validate(H(hex)));
    }

    [Fact]
    public void Error_offset_points_at_the_problem()
    {
        var ex = Assert.Throws<TlvFormatException>(() => BerTlv.Parse(H("9C0100 9F02 05 0102")));
        Assert.Equal(6, ex.Offset);
    }

    [Fact]
    public void Empty_data_has_no_objects()
    {
        Assert.Empty(BerTlv.Parse(ReadOnlyMemory<byte>.Empty));
        Assert.Empty(BerTlv.Parse(H("000000")));
    }
}
