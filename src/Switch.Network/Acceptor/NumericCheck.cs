using Switch.Iso8583;
using Switch.Iso8583.Codecs;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Network.Acceptor;

/// <summary>
/// Rejects hex nibbles in numeric BCD fields and the MTI. The engine decodes BCD nibbles A–F as
/// letters (jPOS does the same, for track data); for an acquirer's input they are a format error.
/// Track data (DE 35, 36) keeps its 'D' separator. The strings made here are cached by the message,
/// so the pipeline does not pay for them again.
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
            if (!IsDigits(message.GetString(field))) throw new IsoFormatException("numeric field holds a non-digit BCD nibble", field);
        }
    }

    private static bool IsDigits(string? value) => value is not null && !value.AsSpan().ContainsAnyExceptInRange('0', '9');
}
