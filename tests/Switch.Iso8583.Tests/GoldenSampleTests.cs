using System.Buffers;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>The two jPOS-packed 0200 samples, with the built-in specs and with jPOS-layout packagers.</summary>
public sealed class GoldenSampleTests
{
    public static TheoryData<string, string> SampleAndSpec => new()
    {
        { "iso87binary-0200.hex", "iso8583-1987-binary" },
        { "iso87ascii-0200.hex", "iso8583-1987-ascii" },
        { "iso87binary-0200.hex", "packager:iso87binary.xml" },
        { "iso87ascii-0200.hex", "packager:iso87ascii.xml" },
        { "iso87ebcdic-0200.hex", "iso8583-1987-ebcdic" },
    };

    private static MessageSpec SpecFor(string name) =>
        name.StartsWith("packager:", StringComparison.Ordinal) ? TestData.Packager(name["packager:".Length..]) : SpecCatalog.BuiltIn(name);

    [Fact]
    public void Samples_have_the_documented_sizes()
    {
        Assert.Equal(222, TestData.BinarySample.Length);
        Assert.Equal(364, TestData.AsciiSample.Length);
    }

    [Theory]
    [MemberData(nameof(SampleAndSpec))]
    public void Decode_yields_every_documented_field_value(string sample, string specName)
    {
        var spec = SpecFor(specName);
        foreach (var mode in new[] { DecodeMode.Index, DecodeMode.Strict, DecodeMode.Materialize })
        {
            var msg = spec.Decode(TestData.Sample(sample), mode);
            Assert.Equal("0200", msg.Mti);
            Assert.Equal(TestData.SampleFields.Keys.Order(), msg.Fields.ToList());
            foreach (var (field, value) in TestData.SampleFields) Assert.Equal(value, msg.GetString(field));
        }
    }

    [Theory]
    [MemberData(nameof(SampleAndSpec))]
    public void Decode_prints_the_exact_expected_json(string sample, string specName)
    {
        var msg = SpecFor(specName).Decode(TestData.Sample(sample));
        Assert.Equal(TestData.SampleJson, IsoJson.ToJson(msg));
    }

    [Theory]
    [MemberData(nameof(SampleAndSpec))]
    public void Decode_then_encode_gives_back_the_same_bytes(string sample, string specName)
    {
        var spec = SpecFor(specName);
        byte[] bytes = TestData.Sample(sample);
        Assert.Equal(bytes, spec.Encode(spec.Decode(bytes, DecodeMode.Index)));
        Assert.Equal(bytes, spec.Encode(spec.Decode(bytes, DecodeMode.Materialize)));
    }

    [Theory]
    [MemberData(nameof(SampleAndSpec))]
    public void Encoding_the_json_gives_back_the_same_bytes(string sample, string specName)
    {
        var spec = SpecFor(specName);
        var msg = IsoJson.Parse(TestData.SampleJson, spec);
        Assert.Equal(TestData.Sample(sample), spec.Encode(msg));
    }

    [Theory]
    [MemberData(nameof(SampleAndSpec))]
    public void Encoding_the_values_set_in_code_gives_the_jpos_bytes(string sample, string specName)
    {
        var spec = SpecFor(specName);
        var msg = spec.NewMessage("0200");
        foreach (var (field, value) in TestData.SampleFields.Reverse()) msg.Set(field, value);
        var writer = new ArrayBufferWriter<byte>();
        int written = spec.Encode(msg, writer);
        Assert.Equal(TestData.Sample(sample), writer.WrittenSpan.ToArray());
        Assert.Equal(writer.WrittenCount, written);
    }

    [Fact]
    public void Binary_sample_track2_separator_is_bcd_nibble_D_and_field_22_is_left_padded()
    {
        byte[] bytes = TestData.BinarySample;
        // MTI 02 00, bitmap 72 3C 44 80 28 E0 92 01: fields 2,3,4,7,11,12,13,14,18,22,25,35,37,41,42,43,49,52,55,64.
        Assert.Equal(TestData.H("0200 723C448028E09201"), bytes[..10]);
        Assert.Equal(TestData.H("16 4761739001010119"), bytes[10..19]);
        int at = Convert.ToHexString(bytes).IndexOf("0051" + "00" + "34" + "4761739001010119D28122011234567890", StringComparison.Ordinal);
        Assert.True(at > 0, "field 22 as 00 51, field 25 as 00, then track 2 with nibble D");
    }

    [Fact]
    public void The_same_message_decoded_from_a_split_sequence_matches()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        byte[] bytes = TestData.BinarySample;
        var first = new Segment(bytes.AsMemory(0, 100));
        var last = first.Append(bytes.AsMemory(100));
        var msg = spec.Decode(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));
        Assert.Equal(TestData.SampleJson, IsoJson.ToJson(msg));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
