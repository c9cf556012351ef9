using Switch.Iso8583;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Network.Acceptor;

/// <summary>
/// Rejects the nibble D in numeric BCD fields and non-digits in the MTI. Strict decoding already
/// rejects BCD nibbles A–C, E and F everywhere, but accepts D (the track-2 separator, '=') in every
/// BCD value; outside track data (DE 35, 36) it is a format error for an acquirer's input. Decoded
/// fields are checked on their wire bytes, so no strings are made.
/// </summary>
public static class NumericCheck
{
    /// <summary>Throws <see cref="IsoFormatException"/> for the first numeric field holding a non-digit.</summary>
    public static void Validate(IsoMessage message)
    {
        if (message.Mti is { } mti && !IsDigits(mti)) throw new IsoFormatException("MTI is not four digits", 0);
        foreach (int field in message.Fields)
        {
            if (field is 35 or 36) continue;
            var spec = message.Spec[field];
            if (spec is not { Type: FieldType.Numeric, Encoding: BcdEncoding }) continue;
            var wire = message.GetWire(field);
            // A field set in code has no wire bytes: check its text.
            bool digits = wire.IsEmpty && message.GetLength(field) > 0 ? IsDigits(message.GetString(field)) : !HasNibbleD(wire);
            if (!digits) throw new IsoFormatException("numeric field holds a non-digit BCD nibble", field);
        }
    }

    /// <summary>True when a nibble is 0xD. The decoder has already refused A–C, E and F, and a pad nibble is 0 or F.</summary>
    private static bool HasNibbleD(ReadOnlySpan<byte> wire)
    {
        foreach (byte b in wire)
        {
            if ((b >> 4) == 0xD || (b & 0x0F) == 0xD) return true;
        }
        return false;
    }

    private static bool IsDigits(string? value) => value is not null && !value.AsSpan().ContainsAnyExceptInRange('0', '9');
}
