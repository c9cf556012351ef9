using Switch.Iso8583.Message;
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
        Assert.Equal(MeasureStatus.Complete, Binary.TryMeasure(sample, out int length, out var error));
        Assert.Equal(sample.Length, length);
        Assert.Null(error);
        byte[] twoMessages = TestData.Cat(sample, sample);
        Assert.Equal(MeasureStatus.Complete, Binary.TryMeasure(twoMessages, out length, out _));
        Assert.Equal(sample.Length, length);
    }

    [Theory]
    [InlineData("iso8583-1987-ascii", "iso87ascii-0200.hex")]
    [InlineData("iso8583-1987-binary", "iso87binary-0200.hex")]
    public void Every_prefix_of_a_message_asks_for_more_bytes(string specName, string sampleFile)
    {
        var spec = SpecCatalog.BuiltIn(specName);
        byte[] sample = TestData.Sample(sampleFile);
        for (int cut = 0; cut < sample.Length; cut++)
        {
            Assert.Equal(MeasureStatus.NeedMoreData, spec.TryMeasure(sample.AsSpan(0, cut), out int length, out var error));
            Assert.Equal(0, length);
            Assert.Null(error);
        }
    }

    [Fact]
    public void A_cut_inside_the_secondary_bitmap_asks_for_more_bytes()
    {
        // MTI, a primary bitmap announcing the secondary, and 3 of the secondary's 8 bytes.
        byte[] cut = TestData.H("0800 8000000000000000 000000");
        Assert.Equal(MeasureStatus.NeedMoreData, Binary.TryMeasure(cut, out _, out _));
    }

    [Fact]
    public void Malformed_bytes_are_a_format_error_not_a_request_for_more()
    {
        byte[] bad = (byte[])TestData.BinarySample.Clone();
        bad[10] = 0xAA; // DE 2's BCD length prefix: nibbles above 9
        Assert.Equal(MeasureStatus.Malformed, Binary.TryMeasure(bad, out int length, out var error));
        Assert.Equal(0, length);
        Assert.Equal(2, error!.Field);
        Assert.Equal(10, error.Offset);
        Assert.False(error.IsTruncated);
    }

    [Fact]
    public void A_bitmap_bit_for_an_undefined_field_is_malformed()
    {
        var spec = TestData.Packager("nested.xml");
        // Header, MTI, then a bitmap announcing field 3, which nested.xml does not define.
        byte[] bad = TestData.Cat(TestData.H("010203"), TestData.A("0200"), TestData.H("2000000000000000"));
        Assert.Equal(MeasureStatus.Malformed, spec.TryMeasure(bad, out _, out var error));
        Assert.Contains("does not define", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_message_within_the_spec_maximum_is_malformed()
    {
        // DE 48 (LLLCHAR, up to 999) can never end inside a spec whose maximum is 100 bytes.
        var json = SpecCatalog.BuiltInJson("iso8583-1987-ascii").Replace("\"fields\"", "\"maxMessageBytes\": 100, \"fields\"", StringComparison.Ordinal);
        var small = SpecJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), "small");
        byte[] start = TestData.Cat(TestData.A("0200"), TestData.A("0000000000010000"), TestData.A("999"), new byte[80]);
        Assert.Equal(MeasureStatus.Malformed, small.TryMeasure(start, out _, out var error));
        Assert.Contains("no complete message within the maximum of 100 bytes", error!.Message, StringComparison.Ordinal);
        Assert.Equal(MeasureStatus.NeedMoreData, small.TryMeasure(start.AsSpan(0, 50), out _, out _));
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
