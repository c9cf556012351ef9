using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>The message object: lazy reads, reuse, detaching from the source buffer, editing.</summary>
public sealed class MessageApiTests
{
    private static MessageSpec Binary87 => SpecCatalog.BuiltIn("iso8583-1987-binary");

    [Fact]
    public void Lazy_decode_into_a_reused_message_allocates_nothing()
    {
        var spec = Binary87;
        ReadOnlyMemory<byte> wire = BinarySample;
        var msg = spec.NewMessage();
        for (int i = 0; i < 200; i++) spec.Decode(wire, msg, DecodeMode.Index); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) spec.Decode(wire, msg, DecodeMode.Index);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(20, msg.Count);
    }

    [Fact]
    public void Lazy_decode_exposes_wire_bytes_and_lengths_without_materializing()
    {
        var msg = Binary87.Decode(BinarySample, DecodeMode.Index);
        Assert.Equal(H("4761739001010119"), msg.GetWire(2).ToArray());
        Assert.Equal(16, msg.GetLength(2));
        Assert.Equal(34, msg.GetLength(35));
        Assert.Equal(60, msg.GetLength(55));
        Assert.Equal(-1, msg.GetLength(5));
        Assert.True(msg.GetWire(5).IsEmpty);
    }

    [Fact]
    public void Detached_message_no_longer_depends_on_the_callers_buffer()
    {
        byte[] buffer = BinarySample;
        var msg = Binary87.Decode(buffer, DecodeMode.Index).Detach();
        Array.Clear(buffer);
        Assert.Equal("4761739001010119", msg.GetString(2));
        Assert.Equal(BinarySample, Binary87.Encode(msg));
    }

    [Fact]
    public void Editing_a_decoded_message_re_encodes_only_what_changed()
    {
        var msg = Binary87.Decode(BinarySample);
        msg.Set(11, "000777").Remove(64);
        msg.Set(39, "00");
        byte[] wire = Binary87.Encode(msg);
        var back = Binary87.Decode(wire);
        Assert.Equal("000777", back.GetString(11));
        Assert.Equal("00", back.GetString(39));
        Assert.False(back.Has(64));
        Assert.Equal(TestData.SampleFields[35], back.GetString(35));
        Assert.Equal(BinarySample.Length - 8 + 2, wire.Length);
    }

    [Fact]
    public void Remove_and_has_track_presence()
    {
        var msg = Binary87.NewMessage("0200").Set(3, "000000").Set(70, "301").Set(4, "1");
        Assert.Equal([3, 4, 70], msg.Fields.ToList());
        msg.Remove(4);
        msg.Remove(5);
        Assert.Equal([3, 70], msg.Fields.ToList());
        Assert.False(msg.Has(4));
        Assert.True(msg.Has(0));
        msg.Remove(0);
        Assert.Null(msg.Mti);
        Assert.Throws<IsoFormatException>(() => Binary87.Encode(msg));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(193)]
    [InlineData(-1)]
    [InlineData(129)]
    public void Fields_the_spec_cannot_carry_are_refused(int field)
    {
        Assert.Throws<IsoFormatException>(() => Binary87.NewMessage("0200").Set(field, "1"));
    }

    [Fact]
    public void Set_binary_writes_binary_fields()
    {
        var msg = Binary87.NewMessage("0200").SetBinary(52, [0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81]);
        Assert.Equal("1A2B3C4D5E6F7081", msg.GetString(52));
    }

    [Fact]
    public void A_message_of_one_spec_cannot_be_encoded_with_another()
    {
        var msg = Binary87.Decode(BinarySample);
        Assert.Throws<ArgumentException>(() => SpecCatalog.BuiltIn("iso8583-1987-ascii").Encode(msg));
    }
}
