using Switch.Iso8583.Message;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Simulators.Card;

/// <summary>
/// The simulators' cryptography on clear test keys (they are test tools, like a card or a terminal): PIN blocks
/// (ISO 9564 format 0) and the message MAC (ISO 9797-1 algorithm 3, padding method 1) through the software security
/// module. Never used by the switch itself.
/// </summary>
public sealed class SimCrypto : IAsyncDisposable
{
    private readonly ComposedSecurityModule _module = new(new SoftwareCipherEngine());
    private readonly SoftwareCipherEngine _engine = new();

    /// <summary>The tooling module (clear key import, PIN reveal, MAC).</summary>
    public ISecurityTooling Module => _module;

    /// <summary>Imports a clear key given as hex.</summary>
    public ValueTask<SecureKey> ImportAsync(KeyType type, string clearHex, CancellationToken ct) =>
        _module.ImportClearKeyAsync(type, KeyAlgorithm.Tdes, Convert.FromHexString(clearHex), ct);

    /// <summary>
    /// Imports a clear TDES key (hex) into this instance's cipher engine once, for the fast synchronous PIN block and MAC
    /// below: a terminal that sends many messages derives its key schedule once, not per message. The handle is the
    /// caller's to dispose; use it from one thread at a time.
    /// </summary>
    public KeyHandle ImportTdes(string clearKeyHex)
    {
        byte[] key = Convert.FromHexString(clearKeyHex);
        try
        {
            return _engine.Import(KeyAlgorithm.Tdes, key);
        }
        finally
        {
            Array.Clear(key);
        }
    }

    /// <summary>An ISO 9564 format 0 PIN block for <paramref name="pin"/> and <paramref name="pan"/>, enciphered under the clear TDES key.</summary>
    public byte[] EncipherPinBlock0(string clearKeyHex, string pin, string pan)
    {
        using KeyHandle handle = ImportTdes(clearKeyHex);
        var block = new byte[8];
        EncipherPinBlock0(handle, pin, pan, block);
        return block;
    }

    /// <summary>The format 0 PIN block under an imported TPK (<see cref="ImportTdes"/>), into <paramref name="block"/> (8 bytes).</summary>
    public void EncipherPinBlock0(KeyHandle tpk, string pin, string pan, Span<byte> block)
    {
        Span<byte> clear = stackalloc byte[8];
        try
        {
            PinBlock.Encode(PinBlockFormat.Iso0, pin, pan, clear);
            _engine.EncryptEcb(tpk, KeyPart.Whole, clear, block);
        }
        finally
        {
            clear.Clear();
        }
    }

    /// <summary>The card's CVV (3 digits into <paramref name="cvv"/>) under an imported CVK (<see cref="ImportTdes"/>): what a card's track 2 carries.</summary>
    public void CardVerificationValue(KeyHandle cvk, string pan, string expiry, string serviceCode, Span<char> cvv) =>
        Switch.Security.Cvv.CardVerification.Compute(_engine, cvk, pan, expiry, serviceCode, cvv);

    /// <summary>
    /// MACs an encoded message in place: its last 8 bytes are the MAC field's value (DE 64 or DE 128 is the last field, set
    /// to zeros before encoding); the MAC over the bytes from the MTI to the byte before it is written there. One encode
    /// per message instead of two.
    /// </summary>
    public void MacInPlace(KeyHandle tak, Span<byte> encoded, int headerLength)
    {
        if (encoded.Length < headerLength + 8) throw new ArgumentException("the encoded message is shorter than its header and a MAC");
        Span<byte> mac = stackalloc byte[8];
        MacComputer.Compute(_engine, tak, MacAlgorithm.Iso9797Alg3, MacPadding.Method1, encoded[headerLength..^8], mac);
        mac.CopyTo(encoded[^8..]);
    }

    /// <summary>Sets the MAC field of a message under an imported TAK (<see cref="ImportTdes"/>); returns the field number.</summary>
    public int ApplyMac(IsoMessage message, KeyHandle tak)
    {
        int field = PrepareMacField(message);
        byte[] encoded = message.Spec.Encode(message);
        MacInPlace(tak, encoded, message.Spec.HeaderLength);
        message.SetBinary(field, encoded.AsSpan(encoded.Length - 8));
        return field;
    }

    /// <summary>Puts a zero MAC in the field the message's MAC goes in (and removes the other); returns the field number.</summary>
    public static int PrepareMacField(IsoMessage message)
    {
        int field = MacField(message);
        message.Remove(field == 128 ? 64 : 128);
        message.SetBinary(field, stackalloc byte[8]);
        return field;
    }

    /// <summary>The field the MAC goes in: DE 128 when the message has a secondary bitmap (a field above 64), else DE 64.</summary>
    public static int MacField(IsoMessage message)
    {
        foreach (int f in message.Fields)
        {
            if (f > 64 && f != 128) return 128;
        }
        return message.Has(128) ? 128 : 64;
    }

    /// <summary>
    /// Sets the MAC field: the message is encoded with a zero MAC, the MAC computed over the bytes from the first byte of
    /// the MTI to the byte before the MAC value, and the field set. Returns the field number.
    /// </summary>
    public async Task<int> ApplyMacAsync(IsoMessage message, SecureKey tak, CancellationToken ct)
    {
        int field = PrepareMacField(message);
        byte[] encoded = message.Spec.Encode(message);
        var mac = new byte[8];
        await _module.GenerateMacAsync(tak, MacAlgorithm.Iso9797Alg3, MacPadding.Method1, MacInput(message.Spec.HeaderLength, encoded), mac, ct).ConfigureAwait(false);
        message.SetBinary(field, mac);
        return field;
    }

    /// <summary>True when the encoded message's MAC (its last 8 bytes, DE 64 or DE 128) verifies under the key; false when it has none.</summary>
    public async Task<bool> VerifyMacAsync(IsoMessage decoded, ReadOnlyMemory<byte> encoded, SecureKey tak, CancellationToken ct)
    {
        int field = decoded.Has(128) ? 128 : decoded.Has(64) ? 64 : 0;
        if (field == 0 || encoded.Length < decoded.Spec.HeaderLength + 8) return false;
        var value = decoded.GetBinary(field);
        // The MAC field is the message's last field, so its value is the last 8 bytes.
        if (!value.Span.SequenceEqual(encoded.Span[^8..])) return false;
        return await _module.VerifyMacAsync(tak, MacAlgorithm.Iso9797Alg3, MacPadding.Method1, MacInput(decoded.Spec.HeaderLength, encoded), encoded[^8..], ct).ConfigureAwait(false);
    }

    private static ReadOnlyMemory<byte> MacInput(int headerLength, ReadOnlyMemory<byte> encoded) => encoded[headerLength..^8];

    private static ReadOnlyMemory<byte> MacInput(int headerLength, byte[] encoded) => encoded.AsMemory(headerLength, encoded.Length - headerLength - 8);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _module.DisposeAsync().ConfigureAwait(false);
        _engine.Dispose();
    }
}
