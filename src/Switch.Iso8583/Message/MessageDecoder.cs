using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Tlv;

namespace Switch.Iso8583.Message;

/// <summary>How much work a decode does up front.</summary>
public enum DecodeMode
{
    /// <summary>Bitmap and field boundaries only; values are checked when read. Allocates nothing.</summary>
    Index,

    /// <summary>Boundaries plus every value and sub-message checked; strings made when read.</summary>
    Strict,

    /// <summary>
    /// Strict, and the message owns one copy of the bytes: every value is readable later without the caller's
    /// buffer (what jPOS's unpack gives). A value's string is made on its first read.
    /// </summary>
    Materialize,
}

/// <summary>The outcome of measuring a message in an unframed stream.</summary>
public enum MeasureStatus
{
    /// <summary>A whole message starts the bytes; its length is given.</summary>
    Complete,

    /// <summary>The bytes end before the message does.</summary>
    NeedMoreData,

    /// <summary>The bytes cannot start a message (or no message ends within the spec's maximum).</summary>
    Malformed,
}

/// <summary>Reads a message's bytes into an <see cref="IsoMessage"/>: header, MTI, bitmaps, fields.</summary>
internal static class MessageDecoder
{
    public static void Decode(MessageSpec spec, ReadOnlyMemory<byte> data, IsoMessage into, DecodeMode mode)
    {
        if (data.Length > spec.MaxMessageBytes)
            throw new IsoFormatException($"message of {data.Length} bytes exceeds the maximum of {spec.MaxMessageBytes}", -1, 0);
        // Materialized: the message owns one copy of the bytes and every value is checked now, so any value
        // reads later (its string made on the first read) whatever becomes of the caller's buffer.
        if (mode == DecodeMode.Materialize)
        {
            data = data.ToArray();
            mode = DecodeMode.Strict;
        }
        int end = DecodeBody(spec, data, 0, into, mode, out int last);
        ThrowIfTrailing(spec, data.Length, end, 0, last);
    }

    /// <summary>
    /// Decodes as far as the bytes allow: true when the whole message decodes (strictly); otherwise false, the
    /// error, and <paramref name="into"/> holding every field read and checked before it (the MTI when readable).
    /// </summary>
    public static bool TryDecode(MessageSpec spec, ReadOnlyMemory<byte> data, IsoMessage into, out IsoFormatException? error)
    {
        error = null;
        try
        {
            Decode(spec, data, into, Partial);
        }
        catch (IsoFormatException ex)
        {
            // A boundary that cannot be found ends the walk; the fields before it stay.
            error = ex;
        }
        error = into.TakePartialError() ?? error;
        return error is null;
    }

    /// <summary>
    /// Strict, except that a bad value whose boundaries are known does not end the decode: the field is left out,
    /// the first such error is kept on the message, and the walk goes on (for <see cref="TryDecode"/>).
    /// </summary>
    private const DecodeMode Partial = (DecodeMode)(-1);

    /// <summary>
    /// Finds the end of the message at the start of <paramref name="data"/> by walking header, MTI, bitmaps and
    /// field prefixes (values are not checked). Bytes that end early are <see cref="MeasureStatus.NeedMoreData"/>,
    /// found without an exception; malformed bytes are <see cref="MeasureStatus.Malformed"/> with the error.
    /// </summary>
    public static MeasureStatus TryMeasure(MessageSpec spec, ReadOnlySpan<byte> data, out int length, out IsoFormatException? error)
    {
        length = 0;
        error = null;
        int end;
        try
        {
            end = Walk(spec, data);
        }
        catch (IsoFormatException ex)
        {
            error = ex;
            return MeasureStatus.Malformed;
        }
        if (end < 0)
        {
            if (data.Length < spec.MaxMessageBytes) return MeasureStatus.NeedMoreData;
            error = new IsoFormatException($"no complete message within the maximum of {spec.MaxMessageBytes} bytes", -1, 0);
            return MeasureStatus.Malformed;
        }
        if (end > spec.MaxMessageBytes)
        {
            error = new IsoFormatException($"message of {end} bytes exceeds the maximum of {spec.MaxMessageBytes}", -1, 0);
            return MeasureStatus.Malformed;
        }
        length = end;
        return MeasureStatus.Complete;
    }

    /// <summary>The offset after the last field, or -1 when the bytes end first; throws only for malformed bytes.</summary>
    private static int Walk(MessageSpec spec, ReadOnlySpan<byte> span)
    {
        int pos = spec.HeaderLength;
        if (span.Length < pos) return -1;
        if (spec.Mti is { } mtiSpec && (pos = TryBounds(mtiSpec, span, pos, 0, out _, out _, out _)) < 0) return -1;
        Span<ulong> words = stackalloc ulong[3];
        int wire = BitmapWire(spec.Bitmap!);
        // Each bitmap is read only once its bytes are there, so ReadBitmaps' own checks never see a cut.
        if (!BitmapsAvailable(spec, span, pos, wire)) return -1;
        pos = ReadBitmaps(spec, span, pos, 0, words);
        for (int w = 0; w < 3; w++)
        {
            ulong word = words[w];
            while (word != 0)
            {
                int lz = BitOperations.LeadingZeroCount(word);
                word &= ~(1UL << (63 - lz));
                int field = (w * 64) + lz + 1;
                var fs = spec[field] ?? throw new IsoFormatException($"bitmap announces field {field}, which spec {spec.Name} does not define", field, pos);
                if ((pos = TryBounds(fs, span, pos, 0, out _, out _, out _)) < 0) return -1;
            }
        }
        return pos;
    }

    /// <summary>True when every bitmap the bitmaps announce (bit 1 secondary, bit 65 tertiary) is in the bytes.</summary>
    private static bool BitmapsAvailable(MessageSpec spec, ReadOnlySpan<byte> span, int pos, int wire)
    {
        for (int i = 0; i < spec.MaxBitmaps; i++)
        {
            int at = pos + (i * wire);
            if (span.Length - at < wire) return false;
            if (i + 1 >= spec.MaxBitmaps || !HighBitSet(spec.Bitmap!, span[at])) return true;
        }
        return true;
    }

    /// <summary>Bit 1 of a bitmap from its first wire byte (a hex digit for text bitmaps).</summary>
    private static bool HighBitSet(FieldSpec bitmap, byte first)
    {
        if (bitmap.Encoding is not HexTextEncoding hex) return (first & 0x80) != 0;
        int nibble = hex.NibbleOf(first);
        // A bad digit is reported by ReadBitmaps with its position.
        return nibble >= 8;
    }

    /// <summary>Reads only the header and MTI; false when they are cut short or malformed.</summary>
    public static bool TryReadMti(MessageSpec spec, ReadOnlySpan<byte> data, out string? mti)
    {
        mti = null;
        if (spec.Mti is not { } mtiSpec || data.Length < spec.HeaderLength) return false;
        try
        {
            if (TryBounds(mtiSpec, data, spec.HeaderLength, 0, out int start, out int wire, out int units) < 0) return false;
            mti = DecodeString(mtiSpec, data.Slice(start, wire), units, start);
            return true;
        }
        catch (IsoFormatException)
        {
            return false;
        }
    }

    /// <summary>Decodes a composite field's payload as a sub-message that must consume it exactly.</summary>
    public static void DecodeSub(FieldSpec carrier, ReadOnlyMemory<byte> source, int offset, int wire, int baseOffset,
        IsoMessage into, DecodeMode mode)
    {
        ReadOnlyMemory<byte> payload = source.Slice(offset, wire);
        if (carrier.Encoding is HexTextEncoding hex)
        {
            // Sub-fields carried as hex characters: unpack to bytes first (positions are then approximate).
            var bytes = new byte[wire / 2];
            try
            {
                hex.DecodeBytes(payload.Span, bytes);
            }
            catch (ValueFormatException ex)
            {
                throw new IsoFormatException(ex.Message, carrier.Number, baseOffset + offset + ex.Position);
            }
            payload = bytes;
        }
        try
        {
            int end = DecodeBody(carrier.Subfields!, payload, baseOffset + offset, into, mode, out int last);
            ThrowIfTrailing(carrier.Subfields!, payload.Length, end, baseOffset + offset, last);
        }
        catch (IsoFormatException ex) when (ex.Field >= 0 && !ex.Reason.StartsWith("sub-field", StringComparison.Ordinal))
        {
            throw new IsoFormatException($"sub-field {ex.Field}: {ex.Reason}", carrier.Number, ex.Offset);
        }
        catch (IsoFormatException ex) when (ex.Field < 0)
        {
            throw new IsoFormatException(ex.Reason, carrier.Number, ex.Offset);
        }
    }

    private static void ThrowIfTrailing(MessageSpec spec, int length, int end, int baseOffset, int last)
    {
        if (end == length) return;
        string after = last >= 0 ? $"field {last}" : spec.HasBitmap ? "the bitmap" : spec.Mti is not null ? "the MTI" : "the header";
        throw new IsoFormatException($"{length - end} trailing bytes after {after}", -1, baseOffset + end);
    }

    /// <summary>Decodes header, MTI, bitmaps and fields; returns the offset after the last field.</summary>
    private static int DecodeBody(MessageSpec spec, ReadOnlyMemory<byte> data, int baseOffset, IsoMessage into, DecodeMode mode, out int last)
    {
        var span = data.Span;
        int pos = 0;
        if (spec.HeaderLength > 0)
        {
            Need(span, pos, spec.HeaderLength, -1, baseOffset, "header");
            pos = spec.HeaderLength;
        }
        // Header and MTI are recorded before the bitmaps are read, so a partial decode keeps them.
        into.BeginDecode(data, baseOffset, 0);
        if (spec.HeaderLength > 0) into.SetDecodedHeader(0, spec.HeaderLength);
        if (spec.Mti is { } mtiSpec)
        {
            pos = ReadBounds(mtiSpec, span, pos, baseOffset, out int mtiStart, out int mtiWire, out int mtiUnits);
            into.SetDecodedMti(mtiStart, mtiWire, mtiUnits);
            if (mode == Partial) CheckPartialMti(mtiSpec, span, mtiStart, mtiWire, mtiUnits, baseOffset, into);
            else if (mode != DecodeMode.Index) CheckValue(mtiSpec, into, span, mtiStart, mtiWire, mtiUnits, baseOffset);
        }
        Span<ulong> words = stackalloc ulong[3];
        int count = spec.MaxField;
        if (spec.HasBitmap)
        {
            pos = ReadBitmaps(spec, span, pos, baseOffset, words);
            count = BitOperations.PopCount(words[0]) + BitOperations.PopCount(words[1]) + BitOperations.PopCount(words[2]);
        }
        into.EnsureCapacity(count);
        last = spec.HasBitmap
            ? DecodeBitmapped(spec, words, span, ref pos, baseOffset, into, mode)
            : DecodeFixedPositions(spec, span, ref pos, baseOffset, into, mode);
        return pos;
    }

    private static int DecodeBitmapped(MessageSpec spec, ReadOnlySpan<ulong> words, ReadOnlySpan<byte> span, ref int pos, int baseOffset, IsoMessage into, DecodeMode mode)
    {
        int last = -1;
        // Fast path for a fixed field: no prefix to read. The index decode touches no spec object; the strict
        // one checks the value in place (fields with sub-fields or TLV take the general path, as does Partial).
        int[] fixedWire = mode == DecodeMode.Index ? spec.FixedWire : mode == DecodeMode.Strict ? spec.PlainFixedWire : [];
        for (int w = 0; w < 3; w++)
        {
            ulong word = words[w];
            while (word != 0)
            {
                int lz = BitOperations.LeadingZeroCount(word);
                word &= ~(1UL << (63 - lz));
                int field = (w * 64) + lz + 1;
                last = field;
                int fw = (uint)field < (uint)fixedWire.Length ? fixedWire[field] : -1;
                if (fw >= 0 && span.Length - pos >= fw)
                {
                    int units = spec.FixedUnits[field];
                    into.AppendDecoded(field, pos, fw, units);
                    if (mode != DecodeMode.Index) Validate(spec.FieldAt(field), span.Slice(pos, fw), units, baseOffset + pos);
                    pos += fw;
                    continue;
                }
                pos = DecodeField(spec, field, span, pos, baseOffset, into, mode);
            }
        }
        return last;
    }

    private static int DecodeFixedPositions(MessageSpec spec, ReadOnlySpan<byte> span, ref int pos, int baseOffset, IsoMessage into, DecodeMode mode)
    {
        // Fixed-position sub-fields follow one another; trailing ones may be absent when the payload ends.
        int last = -1;
        for (int field = spec.FirstField; field <= spec.MaxField && pos < span.Length; field++)
        {
            if (spec[field] is null) continue;
            pos = DecodeField(spec, field, span, pos, baseOffset, into, mode);
            last = field;
        }
        return last;
    }

    private static int DecodeField(MessageSpec spec, int field, ReadOnlySpan<byte> span, int pos, int baseOffset, IsoMessage into, DecodeMode mode)
    {
        var fs = spec[field];
        if (fs is null)
            throw new IsoFormatException($"bitmap announces field {field}, which spec {spec.Name} does not define", field, baseOffset + pos);
        int next = ReadBounds(fs, span, pos, baseOffset, out int start, out int wire, out int units);
        ref var slot = ref into.AppendDecoded(field, start, wire, units);
        if (mode == DecodeMode.Index) return next;
        if (mode == Partial) return CheckPartial(fs, span, start, wire, units, baseOffset, into, next);
        if (fs.Subfields is not null)
        {
            var sub = new IsoMessage(fs.Subfields);
            DecodeSub(fs, into.Source, start, wire, baseOffset, sub, mode);
            slot.Value = sub;
            return next;
        }
        CheckValue(fs, into, span, start, wire, units, baseOffset);
        return next;
    }

    /// <summary>Checks the field just appended; a bad value drops it and is kept as the decode's first error.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CheckPartial(FieldSpec fs, ReadOnlySpan<byte> span, int start, int wire, int units, int baseOffset, IsoMessage into, int next)
    {
        try
        {
            if (fs.Subfields is not null)
            {
                var sub = new IsoMessage(fs.Subfields);
                DecodeSub(fs, into.Source, start, wire, baseOffset, sub, DecodeMode.Strict);
                into.SlotAt(into.Count - 1).Value = sub;
            }
            else
            {
                CheckValue(fs, into, span, start, wire, units, baseOffset);
            }
        }
        catch (IsoFormatException ex)
        {
            into.Remove(fs.Number);
            into.KeepPartialError(ex);
        }
        return next;
    }

    private static void CheckPartialMti(FieldSpec mtiSpec, ReadOnlySpan<byte> span, int start, int wire, int units, int baseOffset, IsoMessage into)
    {
        try
        {
            CheckValue(mtiSpec, into, span, start, wire, units, baseOffset);
        }
        catch (IsoFormatException ex)
        {
            into.Mti = null;
            into.KeepPartialError(ex);
        }
    }

    /// <summary>A value's string; a bad value is a format error at its absolute offset.</summary>
    internal static string DecodeString(FieldSpec fs, ReadOnlySpan<byte> wire, int units, int absoluteOffset)
    {
        try
        {
            return fs.Encoding.Decode(wire, units);
        }
        catch (ValueFormatException ex)
        {
            throw new IsoFormatException(ex.Message, fs.Number, absoluteOffset + ex.Position);
        }
    }

    /// <summary>Checks a plain value (no sub-fields, no TLV); a bad one is a format error at its absolute offset.</summary>
    private static void Validate(FieldSpec fs, ReadOnlySpan<byte> value, int units, int absoluteOffset)
    {
        try
        {
            fs.Encoding.Validate(value, units);
        }
        catch (ValueFormatException ex)
        {
            throw new IsoFormatException(ex.Message, fs.Number, absoluteOffset + ex.Position);
        }
    }

    private static void CheckValue(FieldSpec fs, IsoMessage into, ReadOnlySpan<byte> span, int start, int wire, int units, int baseOffset)
    {
        var value = span.Slice(start, wire);
        try
        {
            fs.Encoding.Validate(value, units);
        }
        catch (ValueFormatException ex)
        {
            throw new IsoFormatException(ex.Message, fs.Number, baseOffset + start + ex.Position);
        }
        if (fs.Tlv && fs.Encoding is BinaryEncoding)
        {
            try
            {
                BerTlv.Validate(value, into.Spec.MaxTlvDepth);
            }
            catch (TlvFormatException ex)
            {
                throw new IsoFormatException($"BER-TLV: {ex.Reason}", fs.Number, baseOffset + start + ex.Offset);
            }
        }
    }

    /// <summary>Reads a field's prefix and checks its value fits; returns the offset after the value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ReadBounds(FieldSpec fs, ReadOnlySpan<byte> span, int pos, int baseOffset, out int start, out int wire, out int units)
    {
        int next = TryBounds(fs, span, pos, baseOffset, out start, out wire, out units);
        if (next < 0) ThrowBoundsCutShort(fs, span, pos, baseOffset, next, wire);
        return next;
    }

    private const int PrefixCut = -1;
    private const int ValueCut = -2;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBoundsCutShort(FieldSpec fs, ReadOnlySpan<byte> span, int pos, int baseOffset, int code, int wire)
    {
        if (code == PrefixCut) ThrowCutShort(span.Length - pos, fs.Prefix.Bytes, fs.Number, baseOffset + pos, "length prefix");
        int start = pos + fs.Prefix.Bytes;
        ThrowCutShort(span.Length - start, wire, fs.Number, baseOffset + start, "value");
    }

    /// <summary>
    /// Like <see cref="ReadBounds"/>, but bytes that end early are no exception: returns -1 when the prefix is
    /// cut short, -2 when the value is (with <paramref name="wire"/> the bytes it needs). Malformed prefixes throw.
    /// </summary>
    internal static int TryBounds(FieldSpec fs, ReadOnlySpan<byte> span, int pos, int baseOffset, out int start, out int wire, out int units)
    {
        start = pos;
        if (fs.Prefix.IsFixed)
        {
            units = fs.Length;
            wire = fs.FixedWireBytes;
            return span.Length - pos < wire ? ValueCut : pos + wire;
        }
        int prefixBytes = fs.Prefix.Bytes;
        if (span.Length - pos < prefixBytes)
        {
            wire = units = 0;
            return PrefixCut;
        }
        int declared;
        try
        {
            declared = fs.Prefix.Read(span.Slice(pos, prefixBytes));
        }
        catch (ValueFormatException ex)
        {
            throw new IsoFormatException(ex.Message, fs.Number, baseOffset + pos + ex.Position);
        }
        if (fs.PrefixCountsBytes)
        {
            wire = declared;
            units = fs.Encoding.UnitsInWire(declared);
            if (units < 0) throw new IsoFormatException($"declared length of {declared} bytes cannot hold a whole value", fs.Number, baseOffset + pos);
        }
        else
        {
            units = declared;
            wire = fs.Encoding.WireBytes(declared);
        }
        if (units > fs.Length)
            throw new IsoFormatException($"declared length {declared} exceeds the field's maximum of {fs.Length}", fs.Number, baseOffset + pos);
        if (fs.Encoding is AmountEncoding && units < 1)
            throw new IsoFormatException("declared length 0 leaves no room for the amount's sign", fs.Number, baseOffset + pos);
        start = pos + prefixBytes;
        return span.Length - start < wire ? ValueCut : start + wire;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Need(ReadOnlySpan<byte> span, int pos, int count, int field, int baseOffset, string what)
    {
        if (span.Length - pos < count) ThrowCutShort(span.Length - pos, count, field, baseOffset + pos, what);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCutShort(int remain, int count, int field, int offset, string what) =>
        throw new IsoFormatException($"{what} cut short: {count} bytes needed, {remain} remain", field, offset, truncated: true);

    private static int ReadBitmaps(MessageSpec spec, ReadOnlySpan<byte> span, int pos, int baseOffset, Span<ulong> words)
    {
        var bitmap = spec.Bitmap!;
        if (spec.BitmapField == 0) return ReadFixedBitmap(bitmap, span, pos, baseOffset, words);
        pos = ReadOneBitmap(bitmap, span, pos, baseOffset, out words[0]);
        bool secondary = (words[0] & (1UL << 63)) != 0;
        words[0] &= ~(1UL << 63);
        if (!secondary) return pos;
        if (spec.MaxBitmaps < 2)
            throw new IsoFormatException("bit 1 announces a secondary bitmap, which the spec does not allow", 1, baseOffset + pos - BitmapWire(bitmap));
        pos = ReadOneBitmap(bitmap, span, pos, baseOffset, out words[1]);
        // The encoder never writes an extension bitmap that announces nothing; accepting one would break
        // decode -> encode byte identity, so it is a format error.
        if (words[1] == 0) throw new IsoFormatException("bit 1 announces a secondary bitmap with no bit set", 1, baseOffset + pos - BitmapWire(bitmap));
        if (!spec.HasTertiary || (words[1] & (1UL << 63)) == 0) return pos;
        words[1] &= ~(1UL << 63);
        pos = ReadOneBitmap(bitmap, span, pos, baseOffset, out words[2]);
        if (words[2] == 0) throw new IsoFormatException("bit 65 announces a tertiary bitmap with no bit set", 1, baseOffset + pos - BitmapWire(bitmap));
        return pos;
    }

    /// <summary>A fixed-size sub-field bitmap (bitmap at field 0): every bit announces the sub-field of its number.</summary>
    private static int ReadFixedBitmap(FieldSpec bitmap, ReadOnlySpan<byte> span, int pos, int baseOffset, Span<ulong> words)
    {
        int bytes = bitmap.Length;
        int wire = bitmap.Encoding.WireBytes(bytes);
        Need(span, pos, wire, bitmap.Number, baseOffset, "bitmap");
        Span<byte> raw = stackalloc byte[24];
        raw.Clear();
        if (bitmap.Encoding is HexTextEncoding hex)
        {
            try
            {
                hex.DecodeBytes(span.Slice(pos, wire), raw[..bytes]);
            }
            catch (ValueFormatException ex)
            {
                throw new IsoFormatException($"bitmap: {ex.Message}", bitmap.Number, baseOffset + pos + ex.Position);
            }
        }
        else
        {
            span.Slice(pos, wire).CopyTo(raw);
        }
        for (int w = 0; w < 3; w++) words[w] = BinaryPrimitives.ReadUInt64BigEndian(raw.Slice(w * 8, 8));
        return pos + wire;
    }

    private static int BitmapWire(FieldSpec bitmap) => bitmap.Encoding is HexTextEncoding ? 16 : 8;

    private static int ReadOneBitmap(FieldSpec bitmap, ReadOnlySpan<byte> span, int pos, int baseOffset, out ulong word)
    {
        int wire = BitmapWire(bitmap);
        Need(span, pos, wire, 1, baseOffset, "bitmap");
        var src = span.Slice(pos, wire);
        if (bitmap.Encoding is HexTextEncoding hex)
        {
            Span<byte> raw = stackalloc byte[8];
            try
            {
                hex.DecodeBytes(src, raw);
            }
            catch (ValueFormatException ex)
            {
                throw new IsoFormatException($"bitmap: {ex.Message}", 1, baseOffset + pos + ex.Position);
            }
            word = BinaryPrimitives.ReadUInt64BigEndian(raw);
        }
        else
        {
            word = BinaryPrimitives.ReadUInt64BigEndian(src);
        }
        return pos + wire;
    }
}
