using System.Buffers;
using Switch.Iso8583.Message;

namespace Switch.Iso8583.Spec;

public sealed partial class MessageSpec
{
    /// <summary>
    /// Decodes a whole message: every field's boundaries and value are checked, strings are made when
    /// read. The message refers to <paramref name="data"/>, which must stay unchanged while it is used.
    /// </summary>
    public IsoMessage Decode(ReadOnlyMemory<byte> data, DecodeMode mode = DecodeMode.Strict)
    {
        var message = new IsoMessage(this, 0);
        MessageDecoder.Decode(this, data, message, mode);
        return message;
    }

    /// <summary>Decodes into an existing message (reusing its storage); with <see cref="DecodeMode.Index"/> this allocates nothing.</summary>
    public void Decode(ReadOnlyMemory<byte> data, IsoMessage into, DecodeMode mode = DecodeMode.Strict)
    {
        if (!ReferenceEquals(into.Spec, this)) throw new ArgumentException("the message belongs to another spec", nameof(into));
        MessageDecoder.Decode(this, data, into, mode);
    }

    /// <summary>
    /// Decodes from a pipe's buffer. A single-segment sequence is read in place; a message split over
    /// segments is first copied into one array (the decoded message must own contiguous bytes).
    /// </summary>
    public IsoMessage Decode(in ReadOnlySequence<byte> data, DecodeMode mode = DecodeMode.Strict)
    {
        if (data.Length > MaxMessageBytes)
            throw new IsoFormatException($"message of {data.Length} bytes exceeds the maximum of {MaxMessageBytes}", -1, 0);
        if (data.IsSingleSegment) return Decode(data.First, mode);
        // The copy is the message's own: a materialized decode need not copy it again.
        return Decode(data.ToArray(), mode == DecodeMode.Materialize ? DecodeMode.Strict : mode);
    }

    /// <summary>Encodes a message of this spec; returns the number of bytes written.</summary>
    public int Encode(IsoMessage message, IBufferWriter<byte> writer)
    {
        if (!ReferenceEquals(message.Spec, this)) throw new ArgumentException("the message belongs to another spec", nameof(message));
        return MessageEncoder.Encode(message, writer);
    }

    /// <summary>Encodes a message into a new array.</summary>
    public byte[] Encode(IsoMessage message)
    {
        var writer = new ArrayBufferWriter<byte>(512);
        Encode(message, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// For unframed streams: measures the message at the start of <paramref name="data"/> (what follows it is
    /// ignored) by walking its bitmaps and field prefixes. A partial message is
    /// <see cref="MeasureStatus.NeedMoreData"/> and costs no exception; malformed bytes, or no complete message
    /// within <see cref="MaxMessageBytes"/>, are <see cref="MeasureStatus.Malformed"/> with the error.
    /// </summary>
    public MeasureStatus TryMeasure(ReadOnlySpan<byte> data, out int length, out IsoFormatException? error) =>
        MessageDecoder.TryMeasure(this, data, out length, out error);

    /// <summary>
    /// Decodes as far as the bytes allow (strictly): true when the whole message decodes; otherwise false with the
    /// first error, and <paramref name="message"/> holding the header, the MTI when valid, and every field whose
    /// value checks up to the first boundary that cannot be found (a bad value whose length is known is left out
    /// and the walk goes on). For answering a format error with the fields a peer matches on (DE 11, DE 41).
    /// The message refers to <paramref name="data"/>.
    /// </summary>
    public bool TryDecode(ReadOnlyMemory<byte> data, out IsoMessage message, out IsoFormatException? error)
    {
        message = new IsoMessage(this, 0);
        return MessageDecoder.TryDecode(this, data, message, out error);
    }

    /// <summary>Reads only the MTI (after the header): for answering a message that does not decode.</summary>
    public bool TryReadMti(ReadOnlySpan<byte> data, out string? mti) => MessageDecoder.TryReadMti(this, data, out mti);

    /// <summary>A new empty message of this spec.</summary>
    public IsoMessage NewMessage(string? mti = null) => mti is null ? new IsoMessage(this) : new IsoMessage(this, mti);
}
