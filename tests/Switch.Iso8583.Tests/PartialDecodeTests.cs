using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>Decoding as far as the bytes allow: the fields read before an error, to answer a format error with them.</summary>
public sealed class PartialDecodeTests
{
    private static readonly MessageSpec Binary = SpecCatalog.BuiltIn("iso8583-1987-binary");

    private static readonly (int Field, string Value)[] Values =
    [
        (2, "4111111111111111"), (3, "000000"), (4, "000000001000"), (7, "1125084500"), (11, "000123"), (12, "084500"),
        (13, "1125"), (22, "051"), (32, "12345"), (37, "123456789012"), (41, "TERM0001"), (42, "MERCHANT0000001"), (49, "840"),
    ];

    private static IsoMessage Request(int below = 193)
    {
        var msg = Binary.NewMessage("0200");
        foreach (var (field, value) in Values)
        {
            if (field < below) msg.Set(field, value);
        }
        return msg;
    }

    /// <summary>Where field <paramref name="field"/> starts in the encoded request (primary bitmap only, so fields before it decide).</summary>
    private static int OffsetOf(int field) => Binary.Encode(Request(field)).Length;

    [Fact]
    public void A_whole_message_decodes_with_no_error()
    {
        byte[] wire = Binary.Encode(Request());
        Assert.True(Binary.TryDecode(wire, out var msg, out var error));
        Assert.Null(error);
        Assert.Equal(Values.Select(v => v.Field), msg.Fields.ToList());
        Assert.Equal(wire, Binary.Encode(msg));
    }

    [Fact]
    public void A_bad_value_whose_length_is_known_is_left_out_and_the_fields_after_it_are_read()
    {
        byte[] wire = Binary.Encode(Request());
        wire[OffsetOf(22)] = 0xAB; // DE 22: fixed 2 BCD bytes, the first holding nibbles A and B
        Assert.False(Binary.TryDecode(wire, out var msg, out var error));
        Assert.Equal(22, error!.Field);
        Assert.Equal(OffsetOf(22), error.Offset);
        Assert.Equal("0200", msg.Mti);
        Assert.False(msg.Has(22));
        Assert.Equal("000123", msg[11]);
        Assert.Equal("TERM0001", msg[41]);
        Assert.Equal("840", msg[49]);
        Assert.Equal(Values.Length - 1, msg.Count);
    }

    [Fact]
    public void A_length_prefix_that_cannot_be_read_ends_the_walk_and_keeps_the_fields_before_it()
    {
        byte[] wire = Binary.Encode(Request());
        wire[OffsetOf(32)] = 0xAA; // DE 32's BCD length prefix
        Assert.False(Binary.TryDecode(wire, out var msg, out var error));
        Assert.Equal(32, error!.Field);
        Assert.Equal([2, 3, 4, 7, 11, 12, 13, 22], msg.Fields.ToList());
        Assert.Equal("000123", msg[11]);
    }

    [Fact]
    public void A_message_cut_short_keeps_every_field_before_the_cut()
    {
        byte[] wire = Binary.Encode(Request());
        Assert.False(Binary.TryDecode(wire.AsMemory(0, OffsetOf(41) + 3), out var msg, out var error));
        Assert.Equal(41, error!.Field);
        Assert.True(error.IsTruncated);
        Assert.Equal("123456789012", msg[37]);
        Assert.False(msg.Has(41));
    }

    [Fact]
    public void Trailing_bytes_are_the_error_and_every_field_is_kept()
    {
        byte[] wire = TestData.Cat(Binary.Encode(Request()), [0, 0, 0]);
        Assert.False(Binary.TryDecode(wire, out var msg, out var error));
        Assert.Equal(-1, error!.Field);
        Assert.Contains("3 trailing bytes after field 49", error.Message, StringComparison.Ordinal);
        Assert.Equal(Values.Length, msg.Count);
    }

    [Fact]
    public void A_bad_mti_is_left_out_and_the_fields_are_still_read()
    {
        byte[] wire = Binary.Encode(Request());
        wire[0] = 0x0F;
        Assert.False(Binary.TryDecode(wire, out var msg, out var error));
        Assert.Equal(0, error!.Field);
        Assert.Null(msg.Mti);
        Assert.Equal("TERM0001", msg[41]);
    }

    [Fact]
    public void A_bad_bitmap_leaves_only_the_mti()
    {
        var ascii = SpecCatalog.BuiltIn("iso8583-1987-ascii");
        byte[] wire = TestData.Cat(TestData.A("0800"), TestData.A("XX00000000000000"));
        Assert.False(ascii.TryDecode(wire, out var msg, out var error));
        Assert.Equal(1, error!.Field);
        Assert.Equal("0800", msg.Mti);
        Assert.Equal(0, msg.Count);
    }

    [Fact]
    public void The_first_of_several_errors_is_reported()
    {
        byte[] wire = Binary.Encode(Request());
        wire[OffsetOf(22)] = 0xAB;
        wire[OffsetOf(32)] = 0xAA;
        Assert.False(Binary.TryDecode(wire, out var msg, out var error));
        Assert.Equal(22, error!.Field);
        Assert.Equal([2, 3, 4, 7, 11, 12, 13], msg.Fields.ToList());
    }

    [Fact]
    public void A_bad_sub_message_is_left_out_like_any_bad_value()
    {
        var spec = TestData.Packager("nested.xml");
        // Field 127's 5-byte payload holds its header and only 3 of its 8 bitmap bytes; field 2 is fine.
        byte[] wire = TestData.Cat(TestData.H("010203"), TestData.A("0200"), TestData.H("C000000000000000"), TestData.H("0000000000000002"),
            TestData.A("16"), TestData.A("4761739001010119"), TestData.H("0005"), TestData.H("0A0B"), TestData.H("700000"));
        Assert.False(spec.TryDecode(wire, out var msg, out var error));
        Assert.Equal(127, error!.Field);
        Assert.Equal([2], msg.Fields.ToList());
        Assert.Equal(TestData.H("010203"), msg.Header.ToArray());
    }

    [Fact]
    public void Random_bytes_never_escape_as_another_exception()
    {
        var random = new Random(8583);
        byte[] good = Binary.Encode(Request());
        for (int i = 0; i < 5000; i++)
        {
            byte[] wire = (byte[])good.Clone();
            for (int k = 0; k < 3; k++) wire[random.Next(wire.Length)] = (byte)random.Next(256);
            int length = random.Next(wire.Length + 1);
            bool whole = Binary.TryDecode(wire.AsMemory(0, length), out var msg, out var error);
            Assert.Equal(whole, error is null);
            // Whatever was kept reads without an error.
            foreach (int f in msg.Fields) _ = msg.GetString(f);
        }
    }
}
