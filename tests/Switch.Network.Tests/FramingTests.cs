using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Switch.Network.Framing;
using Switch.Transport.Framing;

namespace Switch.Network.Tests;

/// <summary>Every framer finds whole frames however the bytes are split or coalesced, and refuses bad lengths.</summary>
public sealed class FramingTests
{
    public static TheoryData<string> Framers => ["binary2", "binary2-inclusive", "bcd2", "ascii4", "none"];

    private static FrameFormat Format(string kind, int max = 1000, FrameHeader? header = null, bool zeroLengthIsKeepAlive = true)
    {
        header ??= FrameHeader.None;
        ILengthFramer length = kind switch
        {
            "binary2" => new BinaryLengthFramer(max),
            "binary2-inclusive" => new BinaryLengthFramer(max, lengthIncludesPrefix: true),
            "bcd2" => new BcdLengthFramer(max),
            "ascii4" => new AsciiLengthFramer(max),
            _ => new SpecDelimitedFramer(TestSupport.Spec, header.Length, max),
        };
        return new FrameFormat(length, header, zeroLengthIsKeepAlive);
    }

    /// <summary>Frames of real messages (the spec-delimited framer needs real ones).</summary>
    private static byte[][] Messages(int count) =>
        Enumerable.Range(1, count).Select(i => TestSupport.Spec.Encode(TestSupport.Authorization(i.ToString("D6")))).ToArray();

    private static byte[] Wire(FrameFormat format, IEnumerable<byte[]> messages, byte[]? header = null)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var m in messages) format.WriteFrame(writer, header ?? [], m);
        return writer.WrittenSpan.ToArray();
    }

    private static List<byte[]> ReadAll(FrameFormat format, ReadOnlySequence<byte> buffer)
    {
        var found = new List<byte[]>();
        Span<byte> header = stackalloc byte[format.Header.Length];
        while (format.TryReadMessage(ref buffer, header, out var message)) found.Add(message.ToArray());
        Assert.Equal(0, buffer.Length);
        return found;
    }

    [Theory]
    [MemberData(nameof(Framers))]
    public void Several_frames_in_one_read_are_all_found(string kind)
    {
        var format = Format(kind);
        var messages = Messages(5);
        var found = ReadAll(format, new ReadOnlySequence<byte>(Wire(format, messages)));
        Assert.Equal(messages, found);
    }

    [Theory]
    [MemberData(nameof(Framers))]
    public void Frames_delivered_one_byte_at_a_time_are_found(string kind)
    {
        var format = Format(kind);
        var messages = Messages(3);
        Assert.Equal(messages, ReadAll(format, TestSupport.Split(Wire(format, messages), 1)));
    }

    [Theory]
    [MemberData(nameof(Framers))]
    public void A_frame_is_not_returned_until_its_last_byte_arrives(string kind)
    {
        var format = Format(kind);
        var wire = Wire(format, Messages(1));
        for (int cut = 0; cut < wire.Length; cut++)
        {
            var buffer = TestSupport.Split(wire[..cut], 3);
            Assert.False(format.TryReadMessage(ref buffer, [], out _));
            Assert.Equal(cut, buffer.Length);
        }
    }

    [Theory]
    [InlineData("binary2")]
    [InlineData("binary2-inclusive")]
    [InlineData("bcd2")]
    [InlineData("ascii4")]
    public void A_frame_longer_than_the_maximum_is_refused_before_it_arrives(string kind)
    {
        var format = Format(kind, max: 100);
        var big = Format(kind, max: 5000);
        var wire = Wire(big, [new byte[101]]);
        var buffer = new ReadOnlySequence<byte>(wire[..big.Length.PrefixBytes]);
        var ex = Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, [], out _));
        Assert.Contains("exceeds the maximum", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("binary2", new byte[] { 0, 0 })]
    [InlineData("binary2-inclusive", new byte[] { 0, 2 })]
    [InlineData("bcd2", new byte[] { 0, 0 })]
    [InlineData("ascii4", new byte[] { (byte)'0', (byte)'0', (byte)'0', (byte)'0' })]
    public void A_zero_length_frame_is_a_keep_alive_by_default_and_the_next_frame_follows(string kind, byte[] prefix)
    {
        var format = Format(kind);
        var buffer = new ReadOnlySequence<byte>([.. prefix, .. Wire(format, [[7, 8, 9]])]);
        Assert.True(format.TryReadMessage(ref buffer, [], out var keepAlive));
        Assert.True(keepAlive.IsEmpty);
        Assert.True(format.TryReadMessage(ref buffer, [], out var message));
        Assert.Equal(new byte[] { 7, 8, 9 }, message.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData("binary2", new byte[] { 0, 0 })]
    [InlineData("binary2-inclusive", new byte[] { 0, 2 })]
    [InlineData("bcd2", new byte[] { 0, 0 })]
    [InlineData("ascii4", new byte[] { (byte)'0', (byte)'0', (byte)'0', (byte)'0' })]
    public void A_zero_length_frame_is_refused_when_the_framing_says_close(string kind, byte[] prefix)
    {
        var format = Format(kind, zeroLengthIsKeepAlive: false);
        var buffer = new ReadOnlySequence<byte>(prefix);
        var ex = Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, [], out _));
        Assert.Contains("frame length 0", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inclusive_length_shorter_than_its_own_prefix_is_refused()
    {
        var format = Format("binary2-inclusive");
        var buffer = new ReadOnlySequence<byte>([0, 1]);
        Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, [], out _));
    }

    [Theory]
    [InlineData("bcd2", new byte[] { 0x0A, 0x10 })]
    [InlineData("ascii4", new byte[] { (byte)'0', (byte)'x', (byte)'1', (byte)'0' })]
    public void A_length_prefix_with_bad_digits_is_refused(string kind, byte[] prefix)
    {
        var format = Format(kind);
        var buffer = new ReadOnlySequence<byte>(prefix);
        Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, [], out _));
    }

    [Fact]
    public void Binary_inclusive_length_counts_its_own_two_bytes()
    {
        var format = Format("binary2-inclusive");
        var wire = Wire(format, [[1, 2, 3]]);
        Assert.Equal(new byte[] { 0, 5, 1, 2, 3 }, wire);
    }

    [Fact]
    public void Bcd_and_ascii_lengths_are_written_as_decimal_digits()
    {
        var payload = new byte[1234];
        Assert.Equal(new byte[] { 0x12, 0x34 }, Wire(Format("bcd2", 5000), [payload])[..2]);
        Assert.Equal("1234"u8.ToArray(), Wire(Format("ascii4", 5000), [payload])[..4]);
    }

    [Fact]
    public void Tpdu_is_kept_and_the_reply_swaps_destination_and_source_nii()
    {
        var format = Format("binary2", header: FrameHeader.Tpdu);
        byte[] tpdu = [0x60, 0x00, 0x01, 0x00, 0x02];
        var wire = Wire(format, Messages(1), tpdu);
        var buffer = new ReadOnlySequence<byte>(wire);
        var received = new byte[5];
        Assert.True(format.TryReadMessage(ref buffer, received, out var message));
        Assert.Equal(tpdu, received);
        Assert.Equal(Messages(1)[0], message.ToArray());
        var reply = new byte[5];
        format.Header.WriteReply(received, reply);
        Assert.Equal(new byte[] { 0x60, 0x00, 0x02, 0x00, 0x01 }, reply);
    }

    [Fact]
    public void A_tpdu_with_the_wrong_id_is_refused()
    {
        var format = Format("binary2", header: FrameHeader.Tpdu);
        var buffer = new ReadOnlySequence<byte>(Wire(format, Messages(1), [0x61, 0, 1, 0, 2]));
        Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, new byte[5], out _));
    }

    [Fact]
    public void A_fixed_header_is_echoed_unchanged()
    {
        var format = Format("ascii4", header: FrameHeader.Fixed(3));
        var buffer = new ReadOnlySequence<byte>(Wire(format, Messages(1), "ISO"u8.ToArray()));
        var received = new byte[3];
        Assert.True(format.TryReadMessage(ref buffer, received, out _));
        var reply = new byte[3];
        format.Header.WriteReply(received, reply);
        Assert.Equal("ISO", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public void Spec_delimited_framing_with_a_fixed_header_finds_each_message()
    {
        var format = Format("none", header: FrameHeader.Fixed(4));
        var messages = Messages(4);
        var wire = Wire(format, messages, "HDR1"u8.ToArray());
        Assert.Equal(messages, ReadAll(format, TestSupport.Split(wire, 7)));
    }

    [Fact]
    public void Spec_delimited_framing_refuses_bytes_that_are_no_message()
    {
        var format = Format("none");
        var buffer = new ReadOnlySequence<byte>([0x02, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x99]);
        Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, [], out _));
    }

    [Fact]
    public void A_frame_that_is_only_a_header_is_refused()
    {
        var format = Format("binary2", header: FrameHeader.Tpdu);
        var buffer = new ReadOnlySequence<byte>([0, 5, 0x60, 0, 1, 0, 2]);
        Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, new byte[5], out _));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Any_payloads_split_anywhere_come_back_whole(NonEmptyArray<NonEmptyArray<byte>> payloads, PositiveInt chunk)
    {
        var frames = payloads.Get.Select(p => p.Get.Take(900).ToArray()).ToArray();
        var results = new List<bool>();
        foreach (var kind in new[] { "binary2", "binary2-inclusive", "bcd2", "ascii4" })
        {
            var format = Format(kind);
            var wire = Wire(format, frames);
            var found = ReadAll(format, TestSupport.Split(wire, 1 + (chunk.Get % 64)));
            results.Add(found.Count == frames.Length && found.Zip(frames).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
        }
        return results.All(r => r).ToProperty();
    }
}
