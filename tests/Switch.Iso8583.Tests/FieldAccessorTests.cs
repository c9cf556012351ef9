using System.Runtime.InteropServices;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>Typed accessors the pipeline uses: wire bytes as memory, binary values as bytes, numeric values as integers.</summary>
public sealed class FieldAccessorTests
{
    private static readonly MessageSpec Binary87 = SpecCatalog.BuiltIn("iso8583-1987-binary");
    private static readonly MessageSpec Ascii87 = SpecCatalog.BuiltIn("iso8583-1987-ascii");
    private static readonly byte[] PinBlock = [0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81];

    [Fact]
    public void The_wire_bytes_of_a_decoded_field_are_the_decoded_buffer_not_a_copy()
    {
        byte[] sample = BinarySample;
        var msg = Binary87.Decode(sample);
        var wire = msg.GetWire(52);
        Assert.Equal(H("1A2B3C4D5E6F7081"), wire.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(wire, out var segment));
        Assert.Same(sample, segment.Array);
        Assert.True(msg.GetWire(5).IsEmpty);
    }

    [Fact]
    public void The_pin_block_of_a_binary_dialect_is_read_as_memory_without_a_copy()
    {
        byte[] sample = BinarySample;
        var pin = Binary87.Decode(sample).GetBinary(52);
        Assert.Equal(PinBlock, pin.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(pin, out var segment));
        Assert.Same(sample, segment.Array);
    }

    [Fact]
    public void The_pin_block_of_a_hex_text_dialect_is_unpacked_to_its_bytes()
    {
        var msg = Ascii87.Decode(AsciiSample);
        Assert.Equal(A("1A2B3C4D5E6F7081"), msg.GetWire(52).ToArray());
        Assert.Equal(PinBlock, msg.GetBinary(52).ToArray());
    }

    [Fact]
    public void Binary_values_set_as_bytes_encode_raw_or_as_hex_text_as_the_dialect_says()
    {
        var binary = Binary87.NewMessage("0200").SetBinary(52, PinBlock);
        Assert.Equal(PinBlock, binary.GetBinary(52).ToArray());
        Assert.Equal(PinBlock, binary.GetWire(52).ToArray());
        Assert.Equal(Cat(H("0200"), H("0000000000001000"), PinBlock), Binary87.Encode(binary));

        var ascii = Ascii87.NewMessage("0200").SetBinary(52, PinBlock);
        Assert.Equal("1A2B3C4D5E6F7081", ascii[52]);
        Assert.Equal(PinBlock, ascii.GetBinary(52).ToArray());
        Assert.Equal(Cat(A("0200"), A("0000000000001000"), A("1A2B3C4D5E6F7081")), Ascii87.Encode(ascii));
    }

    [Fact]
    public void Variable_binary_fields_set_as_bytes_carry_their_length_prefix()
    {
        byte[] emv = H("9F02060000000123455F2A020840");
        var msg = Binary87.NewMessage("0200").SetBinary(55, emv);
        byte[] wire = Binary87.Encode(msg);
        Assert.Equal(Cat(H("0200"), H("0000000000000200"), H("0014"), emv), wire);
        Assert.Equal(emv, Binary87.Decode(wire).GetBinary(55).ToArray());
    }

    [Fact]
    public void Binary_values_of_the_wrong_size_or_for_a_text_field_are_refused()
    {
        var msg = Binary87.NewMessage("0200");
        Assert.Contains("requires 8", Assert.Throws<IsoFormatException>(() => msg.SetBinary(52, [1, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("maximum of 999", Assert.Throws<IsoFormatException>(() => msg.SetBinary(55, new byte[1000])).Message, StringComparison.Ordinal);
        Assert.Throws<IsoFormatException>(() => msg.SetBinary(41, [0x41]));
        Assert.Throws<InvalidOperationException>(() => Binary87.Decode(BinarySample).GetBinary(41));
        Assert.False(msg.Has(52));
    }

    [Theory]
    [InlineData("iso8583-1987-binary", "iso87binary-0200.hex")]
    [InlineData("iso8583-1987-ascii", "iso87ascii-0200.hex")]
    public void Amount_and_stan_read_as_integers_from_the_wire(string specName, string sample)
    {
        var msg = SpecCatalog.BuiltIn(specName).Decode(Sample(sample));
        Assert.True(msg.TryGetInt64(4, out long amount));
        Assert.Equal(12345L, amount);
        Assert.True(msg.TryGetInt64(11, out long stan));
        Assert.Equal(123456L, stan);
        Assert.True(msg.TryGetInt64(22, out long entryMode));
        Assert.Equal(51L, entryMode);
    }

    [Fact]
    public void Integers_are_read_from_values_set_in_code_too()
    {
        var msg = Binary87.NewMessage("0200").Set(4, "1000").Set(11, "42");
        Assert.True(msg.TryGetInt64(4, out long amount));
        Assert.Equal(1000L, amount);
        Assert.True(msg.TryGetInt64(11, out long stan));
        Assert.Equal(42L, stan);
    }

    [Fact]
    public void Values_that_are_not_plain_digits_are_no_integer()
    {
        var msg = Binary87.Decode(BinarySample);
        Assert.False(msg.TryGetInt64(35, out _));   // track separator
        Assert.False(msg.TryGetInt64(41, out _));   // letters
        Assert.False(msg.TryGetInt64(5, out long absent));
        Assert.Equal(0L, absent);
        Assert.False(msg.TryGetInt64(0, out _));
        var amount = Ascii87.NewMessage("0200").Set(28, "C00000100");
        Assert.False(amount.TryGetInt64(28, out _));  // an amount's sign
        Assert.False(Ascii87.Decode(Ascii87.Encode(amount)).TryGetInt64(28, out _));
        Assert.False(Ascii87.NewMessage("0200").Set(37, "12345678901 ").TryGetInt64(37, out _));
    }

    [Fact]
    public void More_than_18_digits_are_no_integer()
    {
        var msg = Binary87.NewMessage("0200").Set(2, "4111111111111111111");
        Assert.False(msg.TryGetInt64(2, out _));
        Assert.False(Binary87.Decode(Binary87.Encode(msg)).TryGetInt64(2, out _));
    }

    [Fact]
    public void A_materialized_message_reads_every_value_after_the_callers_buffer_is_overwritten()
    {
        byte[] buffer = (byte[])BinarySample.Clone();
        var msg = Binary87.Decode(buffer, DecodeMode.Materialize);
        Array.Fill(buffer, (byte)0xFF);
        foreach (var (field, value) in SampleFields) Assert.Equal(value, msg[field]);
        Assert.Equal("0200", msg.Mti);
        Assert.Equal(BinarySample, Binary87.Encode(msg));
    }
}
