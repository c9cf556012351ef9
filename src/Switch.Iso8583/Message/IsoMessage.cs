using System.Numerics;
using System.Runtime.CompilerServices;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Message;

/// <summary>
/// One ISO 8583 message (or sub-message) of a spec. A decoded message points into the bytes it was
/// decoded from and turns a field into a string only when it is read, so the source memory must stay
/// valid and unchanged while the message is used (call <see cref="Detach"/> to copy it). Not thread-safe.
/// </summary>
public sealed class IsoMessage
{
    /// <summary>Where a field's value lives: a range of the source bytes, a value set by code, or both.</summary>
    internal struct Slot
    {
        /// <summary>Offset of the value (after its prefix) in the source; -1 when set by code.</summary>
        public int Offset;

        /// <summary>Wire bytes of the value (without prefix).</summary>
        public int Wire;

        /// <summary>Length in units (digits, characters, bytes).</summary>
        public int Units;

        /// <summary>Materialized value: a string, or an <see cref="IsoMessage"/> for composite fields.</summary>
        public object? Value;
    }

    [InlineArray(3)]
    internal struct Presence
    {
        private ulong _word;
    }

    private Presence _present;
    private Slot[] _slots;
    private int _count;
    private Slot _mti;
    private bool _hasMti;
    private Slot _header;
    private bool _hasHeader;

    /// <summary>The spec this message follows.</summary>
    public MessageSpec Spec { get; }

    /// <summary>The bytes the message was decoded from (empty for a message built in code).</summary>
    public ReadOnlyMemory<byte> Source { get; private set; }

    /// <summary>Offset of <see cref="Source"/> within the outermost message, for error positions.</summary>
    internal int BaseOffset { get; private set; }

    /// <summary>Creates an empty message of a spec.</summary>
    public IsoMessage(MessageSpec spec, int capacity = 24)
    {
        Spec = spec;
        _slots = capacity > 0 ? new Slot[capacity] : [];
    }

    /// <summary>Creates an empty message with the given MTI.</summary>
    public IsoMessage(MessageSpec spec, string mti) : this(spec) => Mti = mti;

    /// <summary>Number of data fields present.</summary>
    public int Count => _count;

    /// <summary>The message type indicator, e.g. "0200"; null when absent.</summary>
    public string? Mti
    {
        get
        {
            if (!_hasMti) return null;
            if (_mti.Value is null) _mti.Value = Materialize(0, ref _mti);
            return (string)_mti.Value;
        }
        set
        {
            if (value is null)
            {
                _hasMti = false;
                _mti = default;
                return;
            }
            var fs = Spec.Mti ?? throw new IsoFormatException("a sub-message has no MTI", 0);
            int units = CheckValue(fs, value);
            // An MTI is never padded: "" or "200" would silently become 0000 or 0200.
            if (fs.Prefix.IsFixed && units != fs.Length)
                throw new IsoFormatException($"MTI '{value}' has {units} characters where the spec requires {fs.Length}", 0);
            _mti = new Slot { Offset = -1, Units = units, Value = value };
            _hasMti = true;
        }
    }

    /// <summary>The fixed header bytes (empty when the spec has none or it was not set).</summary>
    public ReadOnlySpan<byte> Header => !_hasHeader
        ? default
        : _header.Value is byte[] set ? set : Source.Span.Slice(_header.Offset, _header.Wire);

    /// <summary>Sets the header; it must be exactly the spec's header length.</summary>
    public void SetHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length != Spec.HeaderLength)
            throw new IsoFormatException($"header is {header.Length} bytes where the spec requires {Spec.HeaderLength}");
        _header = new Slot { Offset = -1, Wire = header.Length, Value = header.ToArray() };
        _hasHeader = header.Length > 0;
    }

    /// <summary>True when field <paramref name="field"/> is present.</summary>
    public bool Has(int field)
    {
        if (field < 1 || field > 192) return field == 0 && _hasMti;
        int i = field - 1;
        return (_present[i >> 6] & (1UL << (63 - (i & 63)))) != 0;
    }

    /// <summary>The present data fields in ascending order (allocation-free to enumerate).</summary>
    public FieldNumbers Fields => new(_present[0], _present[1], _present[2]);

    /// <summary>The present field numbers of a message, in ascending order.</summary>
    public readonly struct FieldNumbers(ulong w0, ulong w1, ulong w2)
    {
        /// <summary>The struct enumerator (foreach does not allocate).</summary>
        public Enumerator GetEnumerator() => new(w0, w1, w2);

        /// <summary>The numbers as a list.</summary>
        public List<int> ToList()
        {
            var list = new List<int>();
            foreach (int f in this) list.Add(f);
            return list;
        }

        /// <summary>Walks the set bits from field 1 upwards.</summary>
        public struct Enumerator(ulong w0, ulong w1, ulong w2)
        {
            private ulong _w0 = w0, _w1 = w1, _w2 = w2;
            private int _base;

            /// <summary>The current field number.</summary>
            public int Current { get; private set; }

            /// <summary>Moves to the next present field.</summary>
            public bool MoveNext()
            {
                while (_w0 == 0)
                {
                    if (_w1 == 0 && _w2 == 0) return false;
                    (_w0, _w1, _w2) = (_w1, _w2, 0);
                    _base += 64;
                }
                int lz = BitOperations.LeadingZeroCount(_w0);
                _w0 &= ~(1UL << (63 - lz));
                Current = _base + lz + 1;
                return true;
            }
        }
    }

    /// <summary>
    /// The field's value as text (digits, characters, or uppercase hex for binary); null when absent.
    /// A decoded value's string is made once, on the first read.
    /// </summary>
    public string? GetString(int field)
    {
        if (field == 0) return Mti;
        if (!Has(field)) return null;
        ref Slot slot = ref _slots[Rank(field)];
        switch (slot.Value)
        {
            case IsoMessage:
                throw new InvalidOperationException($"field {field} has sub-fields: read it with GetSubMessage");
            case byte[] bytes:
                return Convert.ToHexString(bytes);
            case null:
                slot.Value = Materialize(field, ref slot);
                break;
        }
        return (string)slot.Value;
    }

    /// <summary>Shorthand for <see cref="GetString"/>.</summary>
    public string? this[int field] => GetString(field);

    /// <summary>The sub-message of a composite field; null when absent.</summary>
    public IsoMessage? GetSubMessage(int field)
    {
        if (!Has(field)) return null;
        var fs = Spec[field]!;
        if (fs.Subfields is null) throw new InvalidOperationException($"field {field} has no sub-fields");
        ref Slot slot = ref _slots[Rank(field)];
        if (slot.Value is null)
        {
            var sub = new IsoMessage(fs.Subfields);
            MessageDecoder.DecodeSub(fs, Source, slot.Offset, slot.Wire, BaseOffset, sub, DecodeMode.Strict);
            slot.Value = sub;
        }
        return (IsoMessage)slot.Value;
    }

    /// <summary>
    /// The value's bytes as they are on the wire (no prefix), without a copy: a slice of the decoded bytes, or
    /// the bytes given to <see cref="SetBinary"/> for a raw binary field; empty when absent or set from a string.
    /// </summary>
    public ReadOnlyMemory<byte> GetWire(int field)
    {
        if (!Has(field)) return default;
        ref Slot slot = ref _slots[Rank(field)];
        if (slot.Offset >= 0) return Source.Slice(slot.Offset, slot.Wire);
        return slot.Value is byte[] bytes && Spec[field]!.Encoding is BinaryEncoding ? bytes : default;
    }

    /// <summary>
    /// The bytes of a binary field (raw or hex text on the wire); empty when absent. A decoded raw binary
    /// field (DE 52 in a binary dialect) is a slice of the decoded bytes, not a copy; a hex-text field is
    /// unpacked into a new array.
    /// </summary>
    public ReadOnlyMemory<byte> GetBinary(int field)
    {
        if (!Has(field)) return default;
        var fs = Spec[field]!;
        if (fs.Subfields is not null || fs.Encoding is not (BinaryEncoding or HexTextEncoding))
            throw new InvalidOperationException($"field {field} is not a binary field");
        ref Slot slot = ref _slots[Rank(field)];
        if (slot.Value is byte[] bytes) return bytes;
        if (slot.Offset >= 0 && fs.Encoding is BinaryEncoding) return Source.Slice(slot.Offset, slot.Wire);
        return Convert.FromHexString(GetString(field)!);
    }

    /// <summary>
    /// A numeric field's value as an integer (DE 4 amount, DE 11 STAN), read from the wire without making a
    /// string; false when absent, empty, longer than 18 digits, or not all digits (an amount's sign, a track separator).
    /// </summary>
    public bool TryGetInt64(int field, out long value)
    {
        value = 0;
        if (field < 1 || !Has(field)) return false;
        var fs = Spec[field]!;
        ref Slot slot = ref _slots[Rank(field)];
        if (slot.Units is < 1 or > 18) return false;
        if (slot.Offset < 0 || fs.Encoding is not (TextEncoding or BcdEncoding))
            return slot.Value is not IsoMessage && ParseDigits(GetString(field).AsSpan(), out value);
        var wire = Source.Span.Slice(slot.Offset, slot.Wire);
        return fs.Encoding is BcdEncoding bcd ? ParseBcd(bcd, wire, slot.Units, out value) : ParseText(fs.Encoding, wire, out value);
    }

    private static bool ParseDigits(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.Length is < 1 or > 18) return false;
        foreach (char c in digits)
        {
            if (c is < '0' or > '9') return false;
            value = (value * 10) + (c - '0');
        }
        return true;
    }

    private static bool ParseText(ValueEncoding text, ReadOnlySpan<byte> wire, out long value)
    {
        value = 0;
        foreach (byte b in wire)
        {
            int d = text.DigitValue(b);
            if (d < 0) return false;
            value = (value * 10) + d;
        }
        return true;
    }

    private static bool ParseBcd(BcdEncoding bcd, ReadOnlySpan<byte> wire, int units, out long value)
    {
        value = 0;
        int skip = bcd.PadLeft && (units & 1) == 1 ? 1 : 0;
        for (int i = 0; i < units; i++)
        {
            int n = i + skip;
            int nibble = (n & 1) == 0 ? wire[n >> 1] >> 4 : wire[n >> 1] & 0x0F;
            if (nibble > 9) return false;
            value = (value * 10) + nibble;
        }
        return true;
    }

    /// <summary>Length of a present field in units (digits, characters or bytes); -1 when absent.</summary>
    public int GetLength(int field) => Has(field) ? _slots[Rank(field)].Units : -1;

    /// <summary>
    /// Sets a field from its text form (as <see cref="GetString"/> returns it). Short values of
    /// fixed fields are padded as the spec says; invalid or too long values raise <see cref="IsoFormatException"/>.
    /// </summary>
    public IsoMessage Set(int field, string value)
    {
        if (field == 0)
        {
            Mti = value;
            return this;
        }
        var fs = DataField(field);
        if (fs.Subfields is not null) throw new IsoFormatException("field has sub-fields: set a sub-message", field);
        int units = CheckValue(fs, value);
        if (fs.Prefix.IsFixed && units < fs.Length)
        {
            // Pad now, so the value read back (and any key built from it) is what goes on the wire.
            value = PadFixed(fs, value, units);
            units = fs.Length;
        }
        ref Slot slot = ref SlotFor(field);
        slot = new Slot { Offset = -1, Units = units, Value = value };
        return this;
    }

    private static string PadFixed(FieldSpec fs, string value, int units)
    {
        int missing = fs.Length - units;
        return fs.Encoding switch
        {
            AmountEncoding => string.Concat(value.AsSpan(0, 1), new string('0', missing), value.AsSpan(1)),
            BcdEncoding => string.Concat(new string('0', missing), value),
            _ => fs.Padding.Left ? value.PadLeft(value.Length + missing, fs.Padding.Char) : value.PadRight(value.Length + missing, fs.Padding.Char),
        };
    }

    /// <summary>
    /// Sets a binary field (raw or hex text on the wire) from its bytes, which are copied once: no hex string is
    /// made. A fixed field needs exactly its length; a variable one at most its maximum.
    /// </summary>
    public IsoMessage SetBinary(int field, ReadOnlySpan<byte> value)
    {
        var fs = DataField(field);
        if (fs.Subfields is not null || fs.Encoding is not (BinaryEncoding or HexTextEncoding))
            throw new IsoFormatException("field is not binary: set it from its text", field);
        if (value.Length > fs.Length)
            throw new IsoFormatException($"value has {value.Length} bytes, more than the field's maximum of {fs.Length}", field);
        if (fs.Prefix.IsFixed && value.Length != fs.Length)
            throw new IsoFormatException($"binary value has {value.Length} bytes where the field requires {fs.Length}", field);
        ref Slot slot = ref SlotFor(field);
        slot = new Slot { Offset = -1, Units = value.Length, Value = value.ToArray() };
        return this;
    }

    /// <summary>Sets a composite field's sub-message (which must follow the field's sub-field spec).</summary>
    public IsoMessage SetSubMessage(int field, IsoMessage sub)
    {
        var fs = DataField(field);
        if (fs.Subfields is null || !ReferenceEquals(fs.Subfields, sub.Spec))
            throw new IsoFormatException("sub-message does not follow this field's sub-field spec", field);
        ref Slot slot = ref SlotFor(field);
        slot = new Slot { Offset = -1, Value = sub };
        return this;
    }

    /// <summary>Removes a field; no effect when absent.</summary>
    public void Remove(int field)
    {
        if (field == 0)
        {
            Mti = null;
            return;
        }
        if (!Has(field)) return;
        int r = Rank(field);
        Array.Copy(_slots, r + 1, _slots, r, _count - r - 1);
        _slots[--_count] = default;
        int i = field - 1;
        _present[i >> 6] &= ~(1UL << (63 - (i & 63)));
    }

    /// <summary>
    /// A response (or any derived message) of the same spec: the given MTI, this message's header, and the
    /// listed fields that are present copied as they are — wire bytes, not strings — so echoing fields
    /// costs no decode and no encode. The new message shares this message's source bytes: keep them
    /// unchanged until it is encoded, or <see cref="Detach"/> it.
    /// </summary>
    public IsoMessage CreateResponse(string mti, ReadOnlySpan<int> echoFields)
    {
        var response = new IsoMessage(Spec, echoFields.Length + 2) { Source = Source, BaseOffset = BaseOffset };
        if (Spec.Mti is not null) response.Mti = mti;
        if (_hasHeader)
        {
            response._header = _header;
            response._hasHeader = true;
        }
        foreach (int field in echoFields)
        {
            if (field < 1 || !Has(field)) continue;
            ref Slot slot = ref response.SlotFor(field);
            slot = _slots[Rank(field)];
        }
        return response;
    }

    /// <summary>Copies the source bytes so the message no longer depends on the caller's buffer.</summary>
    public IsoMessage Detach()
    {
        if (!Source.IsEmpty) Source = Source.ToArray();
        for (int i = 0; i < _count; i++)
        {
            if (_slots[i].Value is IsoMessage sub) sub.Detach();
        }
        return this;
    }

    /// <summary>Empties the message for reuse (keeps its storage).</summary>
    public void Clear()
    {
        Array.Clear(_slots, 0, _count);
        _count = 0;
        _present = default;
        _mti = default;
        _hasMti = false;
        _header = default;
        _hasHeader = false;
        Source = default;
        BaseOffset = 0;
        _partialError = null;
    }

    // ---- decoder and encoder access -------------------------------------------------------------

    internal void BeginDecode(ReadOnlyMemory<byte> source, int baseOffset, int fieldCount)
    {
        Clear();
        Source = source;
        BaseOffset = baseOffset;
        EnsureCapacity(fieldCount);
    }

    /// <summary>Room for <paramref name="fieldCount"/> fields (called once the bitmaps are read).</summary>
    internal void EnsureCapacity(int fieldCount)
    {
        if (_slots.Length < fieldCount) _slots = new Slot[fieldCount];
    }

    internal void SetDecodedHeader(int offset, int length)
    {
        _header = new Slot { Offset = offset, Wire = length };
        _hasHeader = length > 0;
    }

    internal void SetDecodedMti(int offset, int wire, int units)
    {
        _mti = new Slot { Offset = offset, Wire = wire, Units = units };
        _hasMti = true;
    }

    /// <summary>Appends a decoded field; fields arrive in ascending order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref Slot AppendDecoded(int field, int offset, int wire, int units)
    {
        if (_count == _slots.Length) Array.Resize(ref _slots, Math.Max(8, _count * 2));
        int i = field - 1;
        _present[i >> 6] |= 1UL << (63 - (i & 63));
        // Field by field: a whole-struct copy would go through the GC's reference-copy helper.
        ref Slot slot = ref _slots[_count++];
        slot.Offset = offset;
        slot.Wire = wire;
        slot.Units = units;
        slot.Value = null;
        return ref slot;
    }

    /// <summary>The first bad value of a partial decode (see <see cref="MessageSpec.TryDecode"/>).</summary>
    private IsoFormatException? _partialError;

    internal void KeepPartialError(IsoFormatException error) => _partialError ??= error;

    internal IsoFormatException? TakePartialError()
    {
        var error = _partialError;
        _partialError = null;
        return error;
    }

    internal ulong PresenceWord(int w) => _present[w];

    internal ref Slot SlotAt(int rank) => ref _slots[rank];

    internal ref Slot MtiSlot => ref _mti;

    internal bool HasMtiSlot => _hasMti;

    internal bool HasHeaderSlot => _hasHeader;

    internal string Materialize(int field, ref Slot slot)
    {
        var fs = field == 0 ? Spec.Mti! : Spec[field]!;
        return MessageDecoder.DecodeString(fs, Source.Span.Slice(slot.Offset, slot.Wire), slot.Units, BaseOffset + slot.Offset);
    }

    private int Rank(int field)
    {
        int i = field - 1;
        int w = i >> 6, bit = i & 63;
        int rank = 0;
        for (int k = 0; k < w; k++) rank += BitOperations.PopCount(_present[k]);
        if (bit > 0) rank += BitOperations.PopCount(_present[w] >> (64 - bit));
        return rank;
    }

    private ref Slot SlotFor(int field)
    {
        int r = Rank(field);
        if (Has(field)) return ref _slots[r];
        if (_count == _slots.Length) Array.Resize(ref _slots, Math.Max(8, _count * 2));
        Array.Copy(_slots, r, _slots, r + 1, _count - r);
        _count++;
        int i = field - 1;
        _present[i >> 6] |= 1UL << (63 - (i & 63));
        return ref _slots[r];
    }

    private FieldSpec DataField(int field)
    {
        var fs = Spec[field];
        if (fs is null || !Spec.IsDataField(field))
            throw new IsoFormatException($"spec {Spec.Name} does not define data field {field}", field);
        return fs;
    }

    private static int CheckValue(FieldSpec fs, string value)
    {
        int units;
        try
        {
            units = fs.Encoding.UnitsOf(value);
        }
        catch (ValueFormatException ex)
        {
            throw new IsoFormatException($"{ex.Message} at character {ex.Position}", fs.Number);
        }
        if (units > fs.Length)
            throw new IsoFormatException($"value has {units} units, more than the field's maximum of {fs.Length}", fs.Number);
        if (fs.Encoding is BinaryEncoding or HexTextEncoding && fs.Prefix.IsFixed && units != fs.Length)
            throw new IsoFormatException($"binary value has {units} bytes where the field requires {fs.Length}", fs.Number);
        return units;
    }
}
