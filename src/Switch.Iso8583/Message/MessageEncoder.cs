using System.Buffers;
using System.Buffers.Binary;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Message;

/// <summary>Writes an <see cref="IsoMessage"/> into an <see cref="IBufferWriter{T}"/>.</summary>
internal static class MessageEncoder
{
    public static int Encode(IsoMessage msg, IBufferWriter<byte> writer)
    {
        var spec = msg.Spec;
        int written = WriteHeader(msg, writer);
        if (spec.Mti is { } mtiSpec)
        {
            if (!msg.HasMtiSlot) throw new IsoFormatException("the message has no MTI", 0);
            written += WriteValue(mtiSpec, ref msg.MtiSlot, msg, writer);
        }
        if (spec.HasBitmap) written += WriteBitmaps(msg, writer);
        int rank = 0;
        int expected = spec.FirstField;
        foreach (int field in msg.Fields)
        {
            // Fixed-position sub-fields: an absent one before a present one is written empty (padded),
            // as jPOS's GenericSubFieldPackager does, so positions stay aligned.
            for (; !spec.HasBitmap && expected < field; expected++)
            {
                if (spec[expected] is { } gap) written += WriteString(gap, "", 0, writer);
            }
            expected = field + 1;
            written += WriteValue(spec[field]!, ref msg.SlotAt(rank++), msg, writer);
        }
        if (written > spec.MaxMessageBytes)
            throw new IsoFormatException($"encoded message of {written} bytes exceeds the maximum of {spec.MaxMessageBytes}");
        return written;
    }

    private static int WriteHeader(IsoMessage msg, IBufferWriter<byte> writer)
    {
        int length = msg.Spec.HeaderLength;
        if (length == 0) return 0;
        if (!msg.HasHeaderSlot) throw new IsoFormatException($"the spec requires a {length}-byte header and the message has none");
        writer.Write(msg.Header);
        return length;
    }

    private static int WriteBitmaps(IsoMessage msg, IBufferWriter<byte> writer)
    {
        var spec = msg.Spec;
        if (spec.BitmapField == 0) return WriteFixedBitmap(msg, writer);
        ulong w0 = msg.PresenceWord(0), w1 = msg.PresenceWord(1), w2 = msg.PresenceWord(2);
        if (w2 != 0)
        {
            if (!spec.HasTertiary) throw new IsoFormatException("fields above 128 need a tertiary bitmap, which the spec does not allow", 1);
            w1 |= 1UL << 63;
        }
        if (w1 != 0)
        {
            if (spec.MaxBitmaps < 2) throw new IsoFormatException("fields above 64 need a secondary bitmap, which the spec does not allow", 1);
            w0 |= 1UL << 63;
        }
        int count = w2 != 0 ? 3 : w1 != 0 ? 2 : 1;
        var bitmap = spec.Bitmap!;
        int each = bitmap.Encoding is HexTextEncoding ? 16 : 8;
        var dest = writer.GetSpan(each * count);
        Span<byte> raw = stackalloc byte[8];
        for (int i = 0; i < count; i++)
        {
            ulong word = i == 0 ? w0 : i == 1 ? w1 : w2;
            if (bitmap.Encoding is HexTextEncoding hex)
            {
                BinaryPrimitives.WriteUInt64BigEndian(raw, word);
                hex.EncodeBytes(raw, dest.Slice(i * 16, 16));
            }
            else
            {
                BinaryPrimitives.WriteUInt64BigEndian(dest.Slice(i * 8, 8), word);
            }
        }
        writer.Advance(each * count);
        return each * count;
    }

    private static int WriteFixedBitmap(IsoMessage msg, IBufferWriter<byte> writer)
    {
        var bitmap = msg.Spec.Bitmap!;
        Span<byte> raw = stackalloc byte[24];
        for (int w = 0; w < 3; w++) BinaryPrimitives.WriteUInt64BigEndian(raw.Slice(w * 8, 8), msg.PresenceWord(w));
        int bytes = bitmap.Length;
        int wire = bitmap.Encoding.WireBytes(bytes);
        var dest = writer.GetSpan(wire);
        if (bitmap.Encoding is HexTextEncoding hex) hex.EncodeBytes(raw[..bytes], dest);
        else raw[..bytes].CopyTo(dest);
        writer.Advance(wire);
        return wire;
    }

    private static int WriteValue(FieldSpec fs, ref IsoMessage.Slot slot, IsoMessage msg, IBufferWriter<byte> writer)
    {
        if (slot.Value is IsoMessage sub) return WriteSubMessage(fs, sub, writer);
        if (slot.Offset >= 0)
        {
            // Decoded and not replaced: copy prefix and value as they came (byte-identical round trip).
            int prefix = fs.Prefix.Bytes;
            writer.Write(msg.Source.Span.Slice(slot.Offset - prefix, prefix + slot.Wire));
            return prefix + slot.Wire;
        }
        if (slot.Value is byte[] bytes) return WriteBytes(fs, bytes, writer);
        return WriteString(fs, (string)slot.Value!, slot.Units, writer);
    }

    /// <summary>A binary value set as bytes: raw, or as hex text, after its prefix (lengths checked when set).</summary>
    private static int WriteBytes(FieldSpec fs, byte[] bytes, IBufferWriter<byte> writer)
    {
        int wire = fs.Encoding.WireBytes(bytes.Length);
        int prefix = fs.Prefix.Bytes;
        var dest = writer.GetSpan(prefix + wire);
        if (!fs.Prefix.IsFixed) WritePrefix(fs, bytes.Length, wire, dest);
        if (fs.Encoding is HexTextEncoding hex) hex.EncodeBytes(bytes, dest.Slice(prefix, wire));
        else bytes.CopyTo(dest[prefix..]);
        writer.Advance(prefix + wire);
        return prefix + wire;
    }

    private static int WriteString(FieldSpec fs, string value, int units, IBufferWriter<byte> writer)
    {
        int target = fs.Prefix.IsFixed ? fs.Length : units;
        int wire = fs.Encoding.WireBytes(target);
        int prefix = fs.Prefix.Bytes;
        var dest = writer.GetSpan(prefix + wire);
        if (!fs.Prefix.IsFixed) WritePrefix(fs, units, wire, dest);
        try
        {
            fs.Encoding.Encode(value, target, fs.Padding, dest.Slice(prefix, wire));
        }
        catch (ValueFormatException ex)
        {
            throw new IsoFormatException($"{ex.Message} at character {ex.Position}", fs.Number);
        }
        writer.Advance(prefix + wire);
        return prefix + wire;
    }

    private static void WritePrefix(FieldSpec fs, int units, int wire, Span<byte> dest)
    {
        int declared = fs.PrefixCountsBytes ? wire : units;
        if (declared > fs.Prefix.MaxValue)
            throw new IsoFormatException($"length {declared} does not fit the field's {fs.Prefix} prefix", fs.Number);
        fs.Prefix.Write(declared, dest);
    }

    private static int WriteSubMessage(FieldSpec fs, IsoMessage sub, IBufferWriter<byte> writer)
    {
        var payload = new ArrayBufferWriter<byte>(256);
        try
        {
            Encode(sub, payload);
        }
        catch (IsoFormatException ex)
        {
            throw new IsoFormatException($"sub-field {ex.Field}: {ex.Reason}", fs.Number);
        }
        var bytes = payload.WrittenSpan;
        int units = bytes.Length;
        if (fs.Prefix.IsFixed ? units != fs.Length : units > fs.Length)
            throw new IsoFormatException($"sub-fields take {units} bytes; the field allows {(fs.Prefix.IsFixed ? "exactly" : "at most")} {fs.Length}", fs.Number);
        int wire = fs.Encoding.WireBytes(units);
        int prefix = fs.Prefix.Bytes;
        var dest = writer.GetSpan(prefix + wire);
        if (!fs.Prefix.IsFixed) WritePrefix(fs, units, wire, dest);
        if (fs.Encoding is HexTextEncoding hex) hex.EncodeBytes(bytes, dest.Slice(prefix, wire));
        else bytes.CopyTo(dest[prefix..]);
        writer.Advance(prefix + wire);
        return prefix + wire;
    }
}
