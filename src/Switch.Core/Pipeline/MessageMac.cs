using Switch.Iso8583.Message;
using Switch.Security;
using Switch.Security.Keys;
using Switch.Security.Mac;

namespace Switch.Core.Pipeline;

/// <summary>
/// The terminal MAC of issue 17: ISO 9797-1 algorithm 3, padding method 1, 8 bytes in DE64 — DE128 when the message
/// has a secondary bitmap — over the encoded message from the first byte of the MTI to the byte before the MAC
/// field's value.
/// </summary>
public static class MessageMac
{
    /// <summary>The algorithm (retail MAC, ANSI X9.19).</summary>
    public const MacAlgorithm Algorithm = MacAlgorithm.Iso9797Alg3;

    /// <summary>The padding (zeros to a block boundary).</summary>
    public const MacPadding Padding = MacPadding.Method1;

    /// <summary>Bytes of the MAC.</summary>
    public const int MacBytes = 8;

    /// <summary>The field that carries the MAC: 128 when any field of 65–128 is present (a secondary bitmap), else 64.</summary>
    public static int FieldOf(IsoMessage message)
    {
        foreach (int field in message.Fields)
        {
            if (field > 64 && field != 128) return 128;
        }
        return message.Has(128) ? 128 : 64;
    }

    /// <summary>
    /// The bytes a decoded message's MAC covers: from the MTI (after the spec's header) to the byte before the MAC
    /// field's value. False when the field is absent or does not lie in the message's bytes.
    /// </summary>
    public static bool TryMacData(IsoMessage message, int field, out ReadOnlyMemory<byte> data, out int macOffset)
    {
        data = default;
        macOffset = -1;
        if (!message.Has(field)) return false;
        ReadOnlySpan<byte> source = message.Source.Span;
        ReadOnlySpan<byte> wire = message.GetWire(field).Span;
        int start = message.Spec.HeaderLength;
        if (wire.IsEmpty || !source.Overlaps(wire, out int offset) || offset < start) return false;
        data = message.Source[start..offset];
        macOffset = offset;
        return true;
    }

    /// <summary>Verifies the MAC of a decoded request; false when it is missing, the wrong length, or wrong.</summary>
    public static async ValueTask<bool> VerifyAsync(ISecurityModule module, SecureKey key, IsoMessage request, CancellationToken ct)
    {
        int field = FieldOf(request);
        if (!TryMacData(request, field, out var data, out _)) return false;
        ReadOnlyMemory<byte> mac = request.GetBinary(field);
        if (mac.Length != MacBytes) return false;
        return await module.VerifyMacAsync(key, Algorithm, Padding, data, mac, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs an answer: sets its MAC field and returns the encoded answer with the MAC in place (the bytes sent, which
    /// duplicate detection keeps).
    /// </summary>
    public static async ValueTask<byte[]> SignAsync(ISecurityModule module, SecureKey key, IsoMessage message, CancellationToken ct)
    {
        int field = FieldOf(message);
        message.SetBinary(field, stackalloc byte[MacBytes]);
        byte[] bytes = message.Spec.Encode(message);
        var view = message.Spec.Decode(bytes, DecodeMode.Index);
        if (!TryMacData(view, field, out var data, out int macOffset))
            throw new InvalidOperationException($"the MAC field {field} is not in the encoded message");
        var mac = new byte[16];
        int n = await module.GenerateMacAsync(key, Algorithm, Padding, data, mac, ct).ConfigureAwait(false);
        if (n < MacBytes) throw new InvalidOperationException($"the security module returned a {n}-byte MAC");
        message.SetBinary(field, mac.AsSpan(0, MacBytes));
        if (view.GetWire(field).Length == MacBytes)
        {
            // A raw binary MAC field: the value is the last bytes written, patched in place (no second encode).
            mac.AsSpan(0, MacBytes).CopyTo(bytes.AsSpan(macOffset));
            return bytes;
        }
        return message.Spec.Encode(message);
    }
}
