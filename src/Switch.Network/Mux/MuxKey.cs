using Switch.Iso8583.Vocabulary;
using System.Text;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Message;
using Switch.Network.Management;

namespace Switch.Network.Mux;

/// <summary>
/// The matching key of a request and its response: the response-class MTI followed by the values of
/// the configured fields (default DE 11 STAN + DE 41 terminal id; DE 37 RRN or DE 32 acquirer id as
/// options), as jPOS QMUX does. An absent field contributes an empty value.
/// </summary>
public sealed class MuxKey
{
    private readonly int[] _fields;

    /// <summary>Creates a key over the given fields.</summary>
    public MuxKey(IEnumerable<int> fields)
    {
        _fields = fields.ToArray();
        if (_fields.Length == 0) throw new ArgumentException("a MUX key needs at least one field", nameof(fields));
    }

    /// <summary>The default key: DE 11 and DE 41.</summary>
    public static MuxKey Default { get; } = new([11, 41]);

    /// <summary>The fields after the MTI.</summary>
    public IReadOnlyList<int> Fields => _fields;

    /// <summary>The key the response to <paramref name="request"/> will carry; null when the MTI expects no response.</summary>
    public string? ForRequest(IsoMessage request)
    {
        string? mti = request.Mti;
        // The response MTI (Mti.ResponseOf) is written straight into the key: one string per request.
        return Mti.ExpectsResponse(mti) ? Build(mti!, request, responseClass: true) : null;
    }

    /// <summary>The key of a received response.</summary>
    public string ForResponse(IsoMessage response) => Build(response.Mti ?? "", response, responseClass: false);

    /// <summary>Longest key built without a heap buffer (keys are about 20 characters).</summary>
    internal const int StackKeyChars = 128;

    /// <summary>
    /// Writes the key of a received response into <paramref name="destination"/> (no string made, for a
    /// look-up); false when it does not fit (the caller then uses <see cref="ForResponse"/>).
    /// </summary>
    internal bool TryWriteResponseKey(IsoMessage response, Span<char> destination, out int length)
    {
        length = Write(response.Mti ?? "", response, responseClass: false, destination);
        return length >= 0;
    }

    /// <summary>
    /// Appends '|' and the field's text taken from its wire bytes when that is exact: a decoded field in
    /// ASCII (bytes are the characters) or in BCD with an even digit count (no pad nibble); false otherwise.
    /// </summary>
    private static bool TryAppendFromWire(IsoMessage message, int field, Span<char> key, ref int at)
    {
        if (!message.Has(field)) return false;
        var wire = message.GetWire(field).Span;
        if (wire.IsEmpty) return false;
        var encoding = message.Spec[field]?.Encoding;
        if (ReferenceEquals(encoding, TextEncoding.Ascii))
        {
            if (at + 1 + wire.Length > key.Length) return false;
            key[at++] = '|';
            foreach (byte b in wire) key[at++] = (char)b;
            return true;
        }
        if (encoding is BcdEncoding && message.GetLength(field) == wire.Length * 2)
        {
            if (at + 1 + wire.Length * 2 > key.Length) return false;
            int start = at;
            key[at++] = '|';
            foreach (byte b in wire)
            {
                int hi = b >> 4, lo = b & 0x0F;
                // Only digits are written as they are; anything else goes through GetString (which rejects it).
                if (hi > 9 || lo > 9)
                {
                    at = start;
                    return false;
                }
                key[at++] = (char)('0' + hi);
                key[at++] = (char)('0' + lo);
            }
            return true;
        }
        return false;
    }

    private string Build(string mti, IsoMessage message, bool responseClass)
    {
        Span<char> chars = stackalloc char[StackKeyChars];
        int length = Write(mti, message, responseClass, chars);
        if (length >= 0) return new string(chars[..length]);
        // Longer than the stack buffer (long DE 32/37 values in a wide key): built field by field.
        var key = new StringBuilder(responseClass ? Mti.ResponseOf(mti) : mti, 2 * StackKeyChars);
        foreach (int field in _fields) key.Append('|').Append(message.GetString(field));
        return key.ToString();
    }

    /// <summary>
    /// Writes MTI (as its response class when asked) and '|'-separated field values into
    /// <paramref name="key"/>; the length written, or -1 when it does not fit.
    /// </summary>
    private int Write(string mti, IsoMessage message, bool responseClass, Span<char> key)
    {
        if (mti.Length > key.Length) return -1;
        mti.AsSpan().CopyTo(key);
        // The answer's MTI by the one rule (function + 1, repeat digit cleared: 0421 -> 0430), as the peer answers.
        if (responseClass && !Mti.TryWriteResponseOf(key[..mti.Length])) return -1;
        int at = mti.Length;
        foreach (int field in _fields)
        {
            // Decoded fields in ASCII or whole-byte BCD are written from their wire bytes: no string per field.
            if (TryAppendFromWire(message, field, key, ref at)) continue;
            string value = message.GetString(field) ?? "";
            if (at + 1 + value.Length > key.Length) return -1;
            key[at++] = '|';
            value.AsSpan().CopyTo(key[at..]);
            at += value.Length;
        }
        return at;
    }
}
