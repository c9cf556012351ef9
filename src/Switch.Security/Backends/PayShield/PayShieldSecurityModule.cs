using System.Globalization;
using System.Text;
using Switch.Security.Dukpt;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Security.Primitives;

namespace Switch.Security.Backends.PayShield;

/// <summary>
/// <see cref="ISecurityModule"/> over the payShield host protocol. Keys travel as the HSM's own LMK cryptograms (from
/// the key store); clear keys can be loaded only when a development LMK shared with the simulator is given.
/// Operations a production HSM never performs for a host (generating an ARQC, revealing DUKPT keys) use the ◆
/// simulator-only test commands ZA, ZC and ZE; a real payShield (or the simulator with ProductionCommandsOnly) refuses
/// them, and the call fails with <see cref="HsmErrorException"/>.
/// </summary>
/// <param name="client">The protocol client.</param>
/// <param name="developmentLmk">The simulator's LMK, to load clear test keys; null against a real payShield.</param>
/// <param name="ownsClient">Dispose the client with the module.</param>
/// <param name="companion">Something to dispose after the client (the CLI's in-process simulator).</param>
public sealed class PayShieldSecurityModule(PayShieldClient client, Lmk? developmentLmk = null, bool ownsClient = true, IAsyncDisposable? companion = null) : ISecurityTooling
{
    private const string DukptRefusal = "a production HSM never reveals DUKPT keys, it uses them inside G0";

    /// <inheritdoc />
    public string Name => "payshield";

    /// <inheritdoc />
    public ValueTask<SecureKey> ImportClearKeyAsync(KeyType type, KeyAlgorithm algorithm, ReadOnlyMemory<byte> clearKey, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        WeakKeys.Refuse(algorithm, clearKey.Span, "key");
        if (developmentLmk is null) throw new SecurityInputException("payshield: a payShield takes keys only under its LMK; import them with `switch keys import` and load them from the key store");
        return new(new SecureKey(type, algorithm, clearKey.Length, null, developmentLmk.Wrap(type, algorithm, clearKey.Span)));
    }

    /// <inheritdoc />
    /// <remarks>Nothing is imported: the key travels as its LMK cryptogram in every command.</remarks>
    public ValueTask<SecureKey> LoadStoredKeyAsync(StoredKey key, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return new(new SecureKey(key.Type, key.Algorithm, key.LengthBytes, null, key.Cryptogram));
    }

    /// <inheritdoc />
    public async ValueTask<string> KeyCheckValueAsync(SecureKey key, CancellationToken ct)
    {
        string flag = key.LengthBytes switch { 16 => "1", 24 => "2", _ => "3" };
        string fields = await CallAsync("BU", "FF" + flag + K(key), ct).ConfigureAwait(false);
        return fields[..6];
    }

    /// <inheritdoc />
    public async ValueTask<int> TranslatePinAsync(EncryptedPinBlock source, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct)
    {
        bool full = source.Format == PinBlockFormat.Iso4 || destinationFormat == PinBlockFormat.Iso4;
        string command = source.Key.Type == KeyType.Tpk ? "CA" : "CC";
        string fields = await CallAsync(command, K(source.Key) + K(destinationKey) + "12" + Hex.Format(source.Block.Span)
            + PayShieldCodes.FormatCode(source.Format) + PayShieldCodes.FormatCode(destinationFormat) + Account(pan, full), ct).ConfigureAwait(false);
        return WriteBlock(fields[2..^2], output);
    }

    /// <inheritdoc />
    public async ValueTask<int> TranslateDukptPinAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, PinBlockFormat sourceFormat, ReadOnlyMemory<byte> block, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct)
    {
        bool full = sourceFormat == PinBlockFormat.Iso4 || destinationFormat == PinBlockFormat.Iso4;
        string fields = await CallAsync("G0", K(bdk) + K(destinationKey) + "605" + Hex.Format(ksn.Span) + Hex.Format(block.Span)
            + PayShieldCodes.FormatCode(destinationFormat) + Account(pan, full), ct).ConfigureAwait(false);
        return WriteBlock(fields[2..^2], output);
    }

    /// <inheritdoc />
    public async ValueTask<bool> VerifyPinIbm3624Async(EncryptedPinBlock pin, string pan, SecureKey pvk, ReadOnlyMemory<byte> decimalizationTable, string validationData, string offset, CancellationToken ct)
    {
        PinVerification.RequireTable(decimalizationTable.Span);
        Digits.Require(offset, "offset", PinBlock.PinDigitsMin, PinBlock.PinDigitsMax);
        string command = pin.Key.Type == KeyType.Tpk ? "DA" : "EA";
        return await VerifyAsync(command, K(pin.Key) + K(pvk) + "12" + Hex.Format(pin.Block.Span) + PayShieldCodes.FormatCode(pin.Format)
            + offset.Length.ToString("D2", CultureInfo.InvariantCulture) + Account(pan, false) + Table(decimalizationTable.Span)
            + Pad12(validationData, "validation_data") + offset.PadRight(12, 'F'), ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> VerifyPinPvvAsync(EncryptedPinBlock pin, string pan, SecureKey pvk, int pvki, string pvv, CancellationToken ct)
    {
        Digits.Require(pvv, "pvv", 4, 4);
        string command = pin.Key.Type == KeyType.Tpk ? "DC" : "EC";
        return await VerifyAsync(command, K(pin.Key) + K(pvk) + Hex.Format(pin.Block.Span) + PayShieldCodes.FormatCode(pin.Format)
            + Account(pan, false) + pvki.ToString(CultureInfo.InvariantCulture) + pvv, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<string> GeneratePvvAsync(SecureKey pvk, string pan, string pin, int pvki, CancellationToken ct)
    {
        string lmkPin = await PinUnderLmkAsync(pin, pan, ct).ConfigureAwait(false);
        string fields = await CallAsync("DG", K(pvk) + lmkPin + ";" + Account(pan, false) + pvki.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        return fields[..4];
    }

    /// <inheritdoc />
    public async ValueTask<string> GenerateIbm3624OffsetAsync(SecureKey pvk, string pin, ReadOnlyMemory<byte> decimalizationTable, int pinLength, string validationData, CancellationToken ct)
    {
        PinVerification.RequireTable(decimalizationTable.Span);
        string lmkPin = await PinUnderLmkAsync(pin, null, ct).ConfigureAwait(false);
        string fields = await CallAsync("DE", K(pvk) + lmkPin + ";" + pinLength.ToString("D2", CultureInfo.InvariantCulture) + new string('0', 12)
            + Table(decimalizationTable.Span) + Pad12(validationData, "validation_data"), ct).ConfigureAwait(false);
        return fields[..pinLength];
    }

    /// <inheritdoc />
    public async ValueTask<int> GenerateMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, Memory<byte> mac, CancellationToken ct)
    {
        string fields = await CallAsync("M6", MacFields(key, algorithm, padding, data.Span), ct).ConfigureAwait(false);
        byte[] value = Convert.FromHexString(fields);
        value.CopyTo(mac);
        return value.Length;
    }

    /// <inheritdoc />
    public async ValueTask<bool> VerifyMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> mac, CancellationToken ct)
    {
        if (mac.Length < 4 || mac.Length > MacAlgorithms.MacBytes(algorithm)) throw new SecurityInputException($"mac: must be 4 to {MacAlgorithms.MacBytes(algorithm)} bytes, got {mac.Length}");
        return await VerifyAsync("M8", MacFields(key, algorithm, padding, data.Span) + Hex.Format(mac.Span), ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<string> GenerateCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, CancellationToken ct)
    {
        CheckCard(pan, expiry, serviceCode);
        string fields = await CallAsync("CW", K(cvk) + pan + ";" + expiry + serviceCode, ct).ConfigureAwait(false);
        return fields[..3];
    }

    /// <inheritdoc />
    public async ValueTask<bool> VerifyCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, string cvv, CancellationToken ct)
    {
        CheckCard(pan, expiry, serviceCode);
        Digits.Require(cvv, "cvv", 3, 3);
        return await VerifyAsync("CY", K(cvk) + cvv + pan + ";" + expiry + serviceCode, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> GenerateArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        string fields = await TestCommandAsync(PayShieldCodes.GenerateArqcCommand, CardFields(imk, scheme, card, data.Span),
            "an issuer HSM verifies ARQCs (KQ) but never generates one, that is the card's job", ct).ConfigureAwait(false);
        return SplitHex(PayShieldCodes.GenerateArqcCommand, fields, 1, 8)[0];
    }

    /// <inheritdoc />
    public async ValueTask<bool> VerifyArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> arqc, CancellationToken ct) =>
        await VerifyAsync("KQ", KqFields('0', imk, scheme, card, data.Span, arqc.Span), ct).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<byte[]> GenerateArpcMethod1Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> arc, CancellationToken ct)
    {
        if (arc.Length != 2) throw new SecurityInputException($"arc: must be 2 bytes, got {arc.Length}");
        string fields = await CallAsync("KQ", KqFields('2', imk, scheme, card, default, arqc.Span) + Hex.Format(arc.Span), ct).ConfigureAwait(false);
        return Convert.FromHexString(fields);
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> GenerateArpcMethod2Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> csu, ReadOnlyMemory<byte> proprietaryData, CancellationToken ct)
    {
        if (csu.Length != 4) throw new SecurityInputException($"csu: must be 4 bytes, got {csu.Length}");
        if (proprietaryData.Length > 8) throw new SecurityInputException($"prop_auth_data: at most 8 bytes, got {proprietaryData.Length}");
        string fields = await CallAsync("KQ", KqFields('4', imk, scheme, card, default, arqc.Span) + Hex.Format(csu.Span)
            + proprietaryData.Length.ToString("D2", CultureInfo.InvariantCulture) + Hex.Format(proprietaryData.Span), ct).ConfigureAwait(false);
        return Convert.FromHexString(fields);
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> EncodePinBlock4Async(SecureKey key, string pin, string pan, CancellationToken ct)
    {
        PinBlock.CheckPan(pan);
        string lmkPin = await PinUnderLmkAsync(pin, pan, ct).ConfigureAwait(false);
        string fields = await CallAsync("JG", K(key) + "48" + Account(pan, true) + lmkPin, ct).ConfigureAwait(false);
        return Convert.FromHexString(fields);
    }

    /// <inheritdoc />
    public async ValueTask<string> RevealPinAsync(EncryptedPinBlock pin, string? pan, CancellationToken ct)
    {
        bool full = pin.Format == PinBlockFormat.Iso4;
        if (PinBlockFormats.UsesPan(pin.Format)) PinBlock.CheckPan(pan);
        string account = PinBlockFormats.UsesPan(pin.Format) ? Account(pan!, full) : new string('0', 12);
        string lmkPin = await CallAsync("JE", K(pin.Key) + Hex.Format(pin.Block.Span) + PayShieldCodes.FormatCode(pin.Format) + account, ct).ConfigureAwait(false);
        return await CallAsync("NG", new string('0', 12) + lmkPin, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<DukptTdesKeys> DeriveDukptTdesAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, CancellationToken ct)
    {
        TdesDukpt.RequireKsn(ksn.Span);
        if (bdk.Algorithm != KeyAlgorithm.Tdes || bdk.LengthBytes != 16) throw new SecurityInputException("bdk: a TDES DUKPT BDK must be a double-length (16-byte) TDES key");
        string fields = await TestCommandAsync(PayShieldCodes.DeriveDukptTdesCommand, K(bdk) + Hex.Format(ksn.Span), DukptRefusal, ct).ConfigureAwait(false);
        byte[][] k = SplitHex(PayShieldCodes.DeriveDukptTdesCommand, fields, 4, 16);
        return new DukptTdesKeys(k[0], k[1], k[2], k[3]);
    }

    /// <inheritdoc />
    public async ValueTask<DukptAesKeys> DeriveDukptAesAsync(SecureKey bdk, int keyBytes, ReadOnlyMemory<byte> ksn, CancellationToken ct)
    {
        AesDukpt.RequireKsn(ksn.Span);
        if (bdk.Algorithm != KeyAlgorithm.Aes) throw new SecurityInputException("bdk: AES DUKPT needs an AES BDK");
        // X9.24-3 forbids deriving a key of a different strength than its parent (same check as the other back ends).
        if (bdk.LengthBytes != keyBytes) throw new SecurityInputException($"bdk: key_type aes{keyBytes * 8} needs a {keyBytes}-byte BDK, got {bdk.LengthBytes}");
        string bits = (keyBytes * 8).ToString(CultureInfo.InvariantCulture);
        string fields = await TestCommandAsync(PayShieldCodes.DeriveDukptAesCommand, bits + K(bdk) + Hex.Format(ksn.Span), DukptRefusal, ct).ConfigureAwait(false);
        byte[][] k = SplitHex(PayShieldCodes.DeriveDukptAesCommand, fields, 4, keyBytes);
        return new DukptAesKeys(k[0], k[1], k[2], k[3]);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (ownsClient) await client.DisposeAsync().ConfigureAwait(false);
        if (companion is not null) await companion.DisposeAsync().ConfigureAwait(false);
    }

    private static string K(SecureKey key) => key.LmkCryptogram ?? throw new InvalidOperationException("key was loaded into a different security module");

    private static string Account(string pan, bool full)
    {
        PinBlock.CheckPan(pan);
        return PayShieldCodes.Account(pan, full);
    }

    private static string Table(ReadOnlySpan<byte> table)
    {
        var sb = new StringBuilder(16);
        foreach (byte b in table) sb.Append((char)('0' + b));
        return sb.ToString();
    }

    private static string Pad12(string value, string field) =>
        value.Length <= 12 ? value.PadRight(12, 'F') : throw new SecurityInputException($"{field}: at most 12 characters on the payShield back end");

    private static void CheckCard(string pan, string expiry, string serviceCode)
    {
        Digits.Pan(pan);
        Digits.Require(expiry, "expiry", 4, 4);
        Digits.Require(serviceCode, "service_code", 3, 3);
    }

    private static int WriteBlock(string hex, Memory<byte> output)
    {
        byte[] block = Convert.FromHexString(hex);
        block.CopyTo(output);
        return block.Length;
    }

    private static string MacFields(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlySpan<byte> data)
    {
        if (key.Algorithm != MacAlgorithms.KeyAlgorithm(algorithm)) throw new SecurityInputException($"key: {algorithm} needs a {KeyLengths.Name(MacAlgorithms.KeyAlgorithm(algorithm))} key");
        if (data.Length > 0xFFFF / 2) throw new SecurityInputException("data: too long for one payShield MAC command");
        string size = algorithm == MacAlgorithm.AesCmac ? "2" : "1";
        string keyType = key.Type switch { KeyType.Tak => "003", KeyType.Zak => "008", _ => "FFF" };
        return "01" + size + PayShieldCodes.MacAlgorithmCode(algorithm) + ((int)padding).ToString(CultureInfo.InvariantCulture) + keyType + K(key)
            + data.Length.ToString("X4", CultureInfo.InvariantCulture) + Hex.Format(data);
    }

    private static string KqFields(char mode, SecureKey imk, EmvScheme scheme, in EmvCardContext card, ReadOnlySpan<byte> data, ReadOnlySpan<byte> arqc)
    {
        if (arqc.Length != 8) throw new SecurityInputException($"arqc: must be 8 bytes, got {arqc.Length}");
        return mode.ToString() + CardFields(imk, scheme, card, data) + ";" + Hex.Format(arqc);
    }

    // Shared by KQ and ZA: scheme, IMK, PAN length + PAN, PSN, ATC, UN, data length + data.
    private static string CardFields(SecureKey imk, EmvScheme scheme, in EmvCardContext card, ReadOnlySpan<byte> data) =>
        PayShieldCodes.SchemeCode(scheme) + K(imk) + card.Pan.Length.ToString("D2", CultureInfo.InvariantCulture) + card.Pan + card.Psn
            + Hex.Format(card.Atc.Span) + Hex.Format(card.Un.Span) + data.Length.ToString("X4", CultureInfo.InvariantCulture) + Hex.Format(data);

    // A ◆ simulator-only test command. A payShield without it (real firmware, or the simulator in production-only
    // mode) answers as for any unknown command; that becomes one clear line naming what to use instead.
    private async Task<string> TestCommandAsync(string command, string fields, string why, CancellationToken ct)
    {
        string response = await client.SendAsync(command + fields, ct).ConfigureAwait(false);
        if (PayShieldCodes.IsUnsupported(command, response, out string error))
        {
            throw new HsmErrorException(error, $"payshield: the HSM has no {command} command ({why}; {command} is a Switch simulator extension "
                + "for test tooling): use `switch sim hsm` without --production-commands-only, or --backend software or pkcs11");
        }
        Check(command, ErrorCode(command, response));
        return response[4..];
    }

    // Splits a response into `count` values of `bytes` bytes each; any other shape is an HSM fault, not bad input.
    private static byte[][] SplitHex(string command, string hex, int count, int bytes)
    {
        if (hex.Length != count * bytes * 2 || !hex.All(char.IsAsciiHexDigit)) throw new HsmErrorException("--", $"payshield: malformed answer to {command}");
        var parts = new byte[count][];
        for (int i = 0; i < count; i++) parts[i] = Convert.FromHexString(hex.AsSpan(i * bytes * 2, bytes * 2));
        return parts;
    }

    private async Task<string> PinUnderLmkAsync(string pin, string? pan, CancellationToken ct)
    {
        PinBlock.CheckPin(pin);
        string account = pan is null ? new string('0', 12) : PayShieldCodes.Account(pan, false);
        return await CallAsync("BA", pin + "F;" + account, ct).ConfigureAwait(false);
    }

    private async Task<bool> VerifyAsync(string command, string fields, CancellationToken ct)
    {
        string response = await client.SendAsync(command + fields, ct).ConfigureAwait(false);
        string error = ErrorCode(command, response);
        if (error == PayShieldCodes.VerificationFailure) return false;
        Check(command, error);
        return true;
    }

    private async Task<string> CallAsync(string command, string fields, CancellationToken ct)
    {
        string response = await client.SendAsync(command + fields, ct).ConfigureAwait(false);
        Check(command, ErrorCode(command, response));
        return response[4..];
    }

    private static string ErrorCode(string command, string response)
    {
        if (response.Length < 4 || response[..2] != PayShieldCodes.ResponseCode(command))
        {
            throw new HsmErrorException("--", $"payshield: unexpected response to {command}");
        }
        return response.Substring(2, 2);
    }

    private static void Check(string command, string error)
    {
        switch (error)
        {
            case PayShieldCodes.Ok: return;
            case PayShieldCodes.BadPinBlock: throw new SecurityInputException($"block: PIN block not valid under the key (wrong key, PAN or format) [{command} error {error}]", SecurityInputProblem.PinBlock);
            case PayShieldCodes.BadPinLength: throw new SecurityInputException($"pin: must be 4 to 12 digits [{command} error {error}]", SecurityInputProblem.PinLength);
            case PayShieldCodes.InvalidInput: throw new SecurityInputException($"payshield: HSM rejected the input [{command} error {error}]");
            case PayShieldCodes.BadKey: throw new SecurityInputException($"key: not valid under the HSM's LMK [{command} error {error}]", SecurityInputProblem.Key);
            case PayShieldCodes.VerificationFailure: throw new SecurityInputException($"payshield: verification failed [{command} error {error}]", SecurityInputProblem.VerificationFailed);
            default: throw new HsmErrorException(error, $"payshield: {command} failed with error {error}");
        }
    }
}
