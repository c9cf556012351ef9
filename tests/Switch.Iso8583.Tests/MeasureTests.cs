using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>Measuring a message in an unframed stream, and reading the MTI of a message that does not decode.</summary>
public sealed class MeasureTests
{
    private static readonly MessageSpec Binary = SpecCatalog.BuiltIn("iso8583-1987-binary");
    private static readonly MessageSpec Ascii = SpecCatalog.BuiltIn("iso8583-1987-ascii");

    [Fact]
    public void A_whole_message_measures_its_own_length_and_ignores_what_follows()
    {
        byte[] sample = TestData.BinarySample;
        Assert.Equal(sample.Length, Binary.MeasureMessage(sample));
        byte[] twoMessages = TestData.Cat(sample, sample);
        Assert.Equal(sample.Length, Binary.MeasureMessage(twoMessages));
    }

    [Fact]
    public void Every_prefix_of_a_message_asks_for_more_bytes()
    {
        byte[] sample = TestData.AsciiSample;
        for (int cut = 0; cut < sample.Length; cut++)
        {
            Assert.Equal(-1, Ascii.MeasureMessage(sample.AsMemory(0, cut)));
        }
    }

    [Fact]
    public void Malformed_bytes_are_a_format_error_not_a_request_for_more()
    {
        byte[] sample = TestData.BinarySample;
        byte[] bad = (byte[])sample.Clone();
        bad[10] = 0xAA; // DE 2's BCD length prefix: nibbles above 9
        var ex = Assert.Throws<IsoFormatException>(() => Binary.MeasureMessage(bad));
        Assert.Equal(2, ex.Field);
        Assert.False(ex.IsTruncated);
    }

    [Fact]
    public void The_mti_of_a_message_whose_fields_are_broken_can_still_be_read()
    {
        byte[] sample = TestData.AsciiSample;
        Assert.True(Ascii.TryReadMti(sample.AsSpan(0, 30), out string? mti));
        Assert.Equal("0200", mti);
        Assert.False(Ascii.TryReadMti(sample.AsSpan(0, 3), out _));
        Assert.False(Binary.TryReadMti(TestData.H("FD00"), out _));
    }

    [Fact]
    public void Bcd_values_with_non_digit_nibbles_are_rejected_but_the_track_separator_is_kept()
    {
        byte[] sample = (byte[])TestData.BinarySample.Clone();
        sample[0] = 0x0F; // MTI "0F00"
        var ex = Assert.Throws<IsoFormatException>(() => Binary.Decode(sample));
        Assert.Equal(0, ex.Field);
        Assert.Contains("=", Binary.Decode(TestData.BinarySample)[35]!);
    }
}
