using System.Collections.Concurrent;
using Serilog;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Software;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Security.Primitives;

namespace Switch.Simulators.Hsm;

/// <summary>
/// The simulator's command logic, apart from its sockets: parses one host command, performs it with the software
/// back end under the simulator's LMK, and formats the response (layouts in docs/hsm.md).
/// </summary>
public sealed partial class PayShieldCommandProcessor : IAsyncDisposable
{
    private const int KeyCacheMax = 4096;

    private readonly Lmk _lmk;
    private readonly int _headerLength;
    private readonly bool _testCommands;
    private readonly ComposedSecurityModule _module;
    private readonly ConcurrentDictionary<string, SecureKey> _keys = new(StringComparer.Ordinal);
    private long _commands;

    /// <summary>Creates a processor answering under <paramref name="lmk"/> for messages with headers of <paramref name="headerLength"/> characters.</summary>
    /// <param name="lmk">The simulator's LMK.</param>
    /// <param name="headerLength">Message header length.</param>
    /// <param name="testCommands">Answer the ◆ simulator-only test commands (ZA, ZC, ZE); false answers them as unknown.</param>
    public PayShieldCommandProcessor(Lmk lmk, int headerLength, bool testCommands = true)
    {
        _lmk = lmk;
        _headerLength = headerLength;
        _testCommands = testCommands;
        _module = new ComposedSecurityModule(new SoftwareCipherEngine(), lmk);
    }

    /// <summary>Commands answered so far.</summary>
    public long CommandsHandled => Interlocked.Read(ref _commands);

    /// <summary>Handles one command message (header + code + fields) and returns the response message.</summary>
    public string Handle(string message)
    {
        int h = _headerLength;
        if (message.Length < h + 2) return message.PadRight(h + 2)[..h] + "ZZ" + PayShieldCodes.InvalidInput;
        string header = message[..h];
        string command = message.Substring(h, 2);
        string response = PayShieldCodes.ResponseCode(command);
        Interlocked.Increment(ref _commands);
        try
        {
            string body = Dispatch(command, new PayShieldReader(message, h + 2));
            return header + response + body;
        }
        catch (PayShieldProtocolException ex)
        {
            return header + response + ex.ErrorCode;
        }
        catch (SecurityInputException ex)
        {
            // The protocol carries only a code; the detail stays in the simulator (no secrets are in these messages).
            Log.Debug("payShield simulator rejected {Command}: {Reason}", command, ex.Message);
            return header + response + ex.Problem switch
            {
                SecurityInputProblem.PinBlock => PayShieldCodes.BadPinBlock,
                SecurityInputProblem.PinLength => PayShieldCodes.BadPinLength,
                _ => PayShieldCodes.InvalidInput,
            };
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            // Malformed fields the parsers did not anticipate: answer "invalid input" and keep the connection.
            Log.Warning("payShield simulator could not parse {Command} ({ErrorType})", command, ex.GetType().Name);
            return header + response + PayShieldCodes.InvalidInput;
        }
    }

    /// <summary>Releases the cached keys and the software back end.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var k in _keys.Values) k.Dispose();
        await _module.DisposeAsync().ConfigureAwait(false);
    }

    private string Dispatch(string command, PayShieldReader r) => command switch
    {
        "NC" => Ok($"{_lmk.CheckValue}{new string('0', 10)}0007-E000"),
        "A0" => GenerateKey(r),
        "BU" => KeyCheckValue(r),
        "CA" or "CC" => TranslatePin(r),
        "JE" => PinToLmk(r),
        "JG" => PinFromLmk(r),
        "BA" => EncryptClearPin(r),
        "NG" => DecryptPin(r),
        "DA" or "EA" => VerifyIbm(r),
        "DC" or "EC" => VerifyPvv(r),
        "DE" => GenerateOffset(r),
        "DG" => GeneratePvv(r),
        "CW" => GenerateCvv(r),
        "CY" => VerifyCvv(r),
        "M6" => Mac(r, verify: false),
        "M8" => Mac(r, verify: true),
        "G0" => TranslateDukpt(r),
        "KQ" => Arqc(r),
        PayShieldCodes.GenerateArqcCommand when _testCommands => GenerateArqc(r),
        PayShieldCodes.DeriveDukptTdesCommand when _testCommands => DeriveDukptTdes(r),
        PayShieldCodes.DeriveDukptAesCommand when _testCommands => DeriveDukptAes(r),
        _ => PayShieldCodes.UnknownCommand,
    };

    private static string Ok(string fields = "") => PayShieldCodes.Ok + fields;

    private static string Verdict(bool ok) => ok ? PayShieldCodes.Ok : PayShieldCodes.VerificationFailure;

    private static T Sync<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private SecureKey Key(string cryptogram)
    {
        if (_keys.TryGetValue(cryptogram, out SecureKey? cached)) return cached;
        Span<byte> clear = stackalloc byte[32];
        try
        {
            int n = _lmk.Unwrap(cryptogram, clear, out KeyType type, out KeyAlgorithm algorithm);
            SecureKey key = Sync(_module.ImportClearKeyAsync(type, algorithm, clear[..n].ToArray(), CancellationToken.None));
            // Bounded cache: a simulator sees few distinct keys; when full, start over rather than grow.
            if (_keys.Count >= KeyCacheMax) _keys.Clear();
            return _keys.GetOrAdd(cryptogram, key);
        }
        catch (SecurityInputException)
        {
            throw new PayShieldProtocolException(PayShieldCodes.BadKey, "key not valid under the LMK");
        }
        finally
        {
            clear.Clear();
        }
    }

    private string GenerateKey(PayShieldReader r)
    {
        char mode = r.Take(1)[0];
        KeyType type = ParseKeyType(r.Take(3));
        string scheme = r.Take(1);
        KeyAlgorithm algorithm = scheme switch { "S" or "T" => KeyAlgorithm.Tdes, "A" => KeyAlgorithm.Aes, _ => throw new PayShieldProtocolException("26", "key scheme") };
        byte[] clear = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        try
        {
            string underLmk = _lmk.Wrap(type, algorithm, clear);
            string kcv = KeyImport.CheckValue(algorithm, clear);
            if (mode == '0') return Ok(underLmk + kcv);
            if (mode != '1') throw new PayShieldProtocolException(PayShieldCodes.InvalidInput, "mode");
            r.Take(1); // ';' delimiter before the ZMK flag
            r.Take(1);
            return Ok(underLmk + "X" + Hex.Format(EncipherUnderZmk(r.TakeKey(), clear)) + kcv);
        }
        finally
        {
            Array.Clear(clear);
        }
    }

    // Export for the partner: the new key enciphered under the ZMK (ECB), as A0 mode 1 returns it.
    private byte[] EncipherUnderZmk(string zmkBlock, ReadOnlySpan<byte> clear)
    {
        Span<byte> zmkClear = stackalloc byte[32];
        try
        {
            int n = _lmk.Unwrap(zmkBlock, zmkClear, out KeyType type, out KeyAlgorithm algorithm);
            if (type != KeyType.Zmk) throw new PayShieldProtocolException(PayShieldCodes.BadKey, "not a ZMK");
            using var engine = new SoftwareCipherEngine();
            using KeyHandle zmk = engine.Import(algorithm, zmkClear[..n]);
            var underZmk = new byte[clear.Length];
            engine.EncryptEcb(zmk, KeyPart.Whole, clear, underZmk);
            return underZmk;
        }
        catch (SecurityInputException)
        {
            throw new PayShieldProtocolException(PayShieldCodes.BadKey, "ZMK not valid under the LMK");
        }
        finally
        {
            zmkClear.Clear();
        }
    }

    private string KeyCheckValue(PayShieldReader r)
    {
        r.Take(2); // key type code
        r.Take(1); // key length flag
        SecureKey key = Key(r.TakeKey());
        string kcv = Sync(_module.KeyCheckValueAsync(key, CancellationToken.None));
        return Ok(kcv + new string('0', 10));
    }

    private string TranslatePin(PayShieldReader r)
    {
        SecureKey source = Key(r.TakeKey());
        SecureKey destination = Key(r.TakeKey());
        r.TakeNumber(2); // maximum PIN length
        // Format 4 blocks are 32 hex digits; the format code comes after the block, so the source key's algorithm
        // (AES keys carry only format 4) tells how long the block is.
        string block = r.Take(source.Algorithm == KeyAlgorithm.Aes ? 32 : 16);
        PinBlockFormat from = PayShieldCodes.ParseFormatCode(r.Take(2));
        PinBlockFormat to = PayShieldCodes.ParseFormatCode(r.Take(2));
        string pan = PayShieldCodes.ReadAccount(r, from == PinBlockFormat.Iso4 || to == PinBlockFormat.Iso4);
        var output = new byte[16];
        int n = Sync(_module.TranslatePinAsync(new EncryptedPinBlock(source, from, Hex.Parse(block, "pin block")), pan, destination, to, output, CancellationToken.None));
        return Ok("12" + Hex.Format(output.AsSpan(0, n)) + PayShieldCodes.FormatCode(to));
    }

    private string PinToLmk(PayShieldReader r)
    {
        SecureKey zpk = Key(r.TakeKey());
        string block = r.Take(zpk.Algorithm == KeyAlgorithm.Aes ? 32 : 16);
        PinBlockFormat format = PayShieldCodes.ParseFormatCode(r.Take(2));
        string pan = PayShieldCodes.ReadAccount(r, format == PinBlockFormat.Iso4);
        string pin = Sync(_module.RevealPinAsync(new EncryptedPinBlock(zpk, format, Hex.Parse(block, "pin block")), pan, CancellationToken.None));
        return Ok(_lmk.WrapPin(pin));
    }

    private string PinFromLmk(PayShieldReader r)
    {
        SecureKey zpk = Key(r.TakeKey());
        PinBlockFormat format = PayShieldCodes.ParseFormatCode(r.Take(2));
        string pan = PayShieldCodes.ReadAccount(r, format == PinBlockFormat.Iso4);
        Span<char> pin = stackalloc char[12];
        int length = _lmk.UnwrapPin(r.Rest(), pin);
        byte[] block = format == PinBlockFormat.Iso4
            ? Sync(_module.EncodePinBlock4Async(zpk, pin[..length].ToString(), pan, CancellationToken.None))
            : EncodeUnder(zpk, format, pin[..length], pan);
        pin.Clear();
        return Ok(Hex.Format(block));
    }

    private byte[] EncodeUnder(SecureKey key, PinBlockFormat format, ReadOnlySpan<char> pin, string pan)
    {
        // Encode under a throwaway key, then translate: the module's only way to produce a block from a PIN.
        var clear = new byte[8];
        PinBlock.Encode(format, pin, pan, clear);
        var engine = new SoftwareCipherEngine();
        byte[] tempKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        using var handle = engine.Import(KeyAlgorithm.Tdes, tempKey);
        var enc = new byte[8];
        engine.EncryptEcb(handle, KeyPart.Whole, clear, enc);
        Array.Clear(clear);
        using SecureKey temp = Sync(_module.ImportClearKeyAsync(KeyType.Zpk, KeyAlgorithm.Tdes, tempKey, CancellationToken.None));
        Array.Clear(tempKey);
        var output = new byte[8];
        Sync(_module.TranslatePinAsync(new EncryptedPinBlock(temp, format, enc), pan, key, format, output, CancellationToken.None));
        return output;
    }

    private string EncryptClearPin(PayShieldReader r)
    {
        string field = r.TakeUntil(';', 13);
        string pin = field.TrimEnd('F');
        PinBlock.CheckPin(pin);
        return Ok(_lmk.WrapPin(pin));
    }

    private string DecryptPin(PayShieldReader r)
    {
        r.Take(12); // account number (bound into real payShield PIN encryption; the simulator's LMK PIN carries its own integrity)
        Span<char> pin = stackalloc char[12];
        int length = _lmk.UnwrapPin(r.Rest(), pin);
        string result = pin[..length].ToString();
        pin.Clear();
        return Ok(result);
    }

    private string VerifyIbm(PayShieldReader r)
    {
        SecureKey pinKey = Key(r.TakeKey());
        SecureKey pvk = Key(r.TakeKey());
        r.TakeNumber(2); // maximum PIN length
        string block = r.Take(16);
        PinBlockFormat format = PayShieldCodes.ParseFormatCode(r.Take(2));
        int checkLength = r.TakeNumber(2);
        string pan = PayShieldCodes.ReadAccount(r, false);
        byte[] table = Decimalization.ParseTable(r.Take(16));
        string validation = r.Take(12).TrimEnd('F');
        string offset = r.Take(12)[..checkLength];
        return Verdict(Sync(_module.VerifyPinIbm3624Async(new EncryptedPinBlock(pinKey, format, Hex.Parse(block, "pin block")), pan, pvk, table, validation, offset, CancellationToken.None)));
    }

    private string VerifyPvv(PayShieldReader r)
    {
        SecureKey pinKey = Key(r.TakeKey());
        SecureKey pvk = Key(r.TakeKey());
        string block = r.Take(16);
        PinBlockFormat format = PayShieldCodes.ParseFormatCode(r.Take(2));
        string pan = PayShieldCodes.ReadAccount(r, false);
        int pvki = r.TakeNumber(1);
        string pvv = r.Take(4);
        return Verdict(Sync(_module.VerifyPinPvvAsync(new EncryptedPinBlock(pinKey, format, Hex.Parse(block, "pin block")), pan, pvk, pvki, pvv, CancellationToken.None)));
    }

    private string GenerateOffset(PayShieldReader r)
    {
        SecureKey pvk = Key(r.TakeKey());
        string wrapped = r.TakeUntil(';', 200);
        int checkLength = r.TakeNumber(2);
        r.Take(12); // account number
        byte[] table = Decimalization.ParseTable(r.Take(16));
        string validation = r.Take(12).TrimEnd('F');
        Span<char> pin = stackalloc char[12];
        int length = _lmk.UnwrapPin(wrapped, pin);
        string offset = Sync(_module.GenerateIbm3624OffsetAsync(pvk, pin[..length].ToString(), table, checkLength, validation, CancellationToken.None));
        pin.Clear();
        return Ok(offset.PadRight(12, 'F'));
    }

    private string GeneratePvv(PayShieldReader r)
    {
        SecureKey pvk = Key(r.TakeKey());
        string wrapped = r.TakeUntil(';', 200);
        string pan = PayShieldCodes.ReadAccount(r, false);
        int pvki = r.TakeNumber(1);
        Span<char> pin = stackalloc char[12];
        int length = _lmk.UnwrapPin(wrapped, pin);
        string pvv = Sync(_module.GeneratePvvAsync(pvk, pan, pin[..length].ToString(), pvki, CancellationToken.None));
        pin.Clear();
        return Ok(pvv);
    }

    private string GenerateCvv(PayShieldReader r)
    {
        SecureKey cvk = Key(r.TakeKey());
        string pan = r.TakeUntil(';', 19);
        string expiry = r.Take(4);
        string serviceCode = r.Take(3);
        return Ok(Sync(_module.GenerateCvvAsync(cvk, pan, expiry, serviceCode, CancellationToken.None)));
    }

    private string VerifyCvv(PayShieldReader r)
    {
        SecureKey cvk = Key(r.TakeKey());
        string cvv = r.Take(3);
        string pan = r.TakeUntil(';', 19);
        string expiry = r.Take(4);
        string serviceCode = r.Take(3);
        return Verdict(Sync(_module.VerifyCvvAsync(cvk, pan, expiry, serviceCode, cvv, CancellationToken.None)));
    }

    private string Mac(PayShieldReader r, bool verify)
    {
        r.Take(1); // mode flag: 0 = only block
        if (r.Take(1) != "1") throw new PayShieldProtocolException(PayShieldCodes.InvalidInput, "input format must be 1 (hex)");
        int macChars = r.Take(1) switch { "0" => 8, "1" => 16, "2" => 32, _ => throw new PayShieldProtocolException(PayShieldCodes.InvalidInput, "MAC size") };
        MacAlgorithm algorithm = PayShieldCodes.ParseMacAlgorithm(r.Take(1)[0]);
        MacPadding padding = r.Take(1) switch { "1" or "0" => MacPadding.Method1, "2" => MacPadding.Method2, _ => throw new PayShieldProtocolException(PayShieldCodes.InvalidInput, "padding") };
        r.Take(3); // key type
        SecureKey key = Key(r.TakeKey());
        int length = r.TakeHexNumber(4);
        // Zero-length data is a valid MAC input (ISO 9797-1 pads it to one block; RFC 4493 example 1).
        byte[] data = length == 0 ? [] : Hex.Parse(r.Take(length * 2), "message");
        if (verify)
        {
            byte[] mac = Hex.Parse(r.Rest(), "mac");
            return Verdict(Sync(_module.VerifyMacAsync(key, algorithm, padding, data, mac, CancellationToken.None)));
        }
        var output = new byte[16];
        int n = Sync(_module.GenerateMacAsync(key, algorithm, padding, data, output, CancellationToken.None));
        return Ok(Hex.Format(output.AsSpan(0, Math.Min(n, macChars / 2))));
    }

    private string TranslateDukpt(PayShieldReader r)
    {
        SecureKey bdk = Key(r.TakeKey());
        SecureKey zpk = Key(r.TakeKey());
        r.Take(3); // KSN descriptor
        byte[] ksn = Hex.Parse(r.Take(bdk.Algorithm == KeyAlgorithm.Aes ? 24 : 20), "ksn");
        PinBlockFormat sourceFormat = bdk.Algorithm == KeyAlgorithm.Aes ? PinBlockFormat.Iso4 : PinBlockFormat.Iso0;
        byte[] block = Hex.Parse(r.Take(bdk.Algorithm == KeyAlgorithm.Aes ? 32 : 16), "pin block");
        PinBlockFormat to = PayShieldCodes.ParseFormatCode(r.Take(2));
        string pan = PayShieldCodes.ReadAccount(r, sourceFormat == PinBlockFormat.Iso4 || to == PinBlockFormat.Iso4);
        var output = new byte[16];
        int n = Sync(_module.TranslateDukptPinAsync(bdk, ksn, sourceFormat, block, pan, zpk, to, output, CancellationToken.None));
        return Ok("12" + Hex.Format(output.AsSpan(0, n)) + PayShieldCodes.FormatCode(to));
    }

    private string Arqc(PayShieldReader r)
    {
        char mode = r.Take(1)[0];
        EmvScheme scheme = PayShieldCodes.ParseScheme(r.Take(1)[0]);
        SecureKey imk = Key(r.TakeKey());
        EmvCardContext card = ReadCard(r);
        byte[] data = ReadData(r);
        r.Take(1); // ';'
        byte[] arqc = Hex.Parse(r.Take(16), "arqc");
        if (mode is '0' or '1' && !Sync(_module.VerifyArqcAsync(imk, scheme, card, data, arqc, CancellationToken.None))) return PayShieldCodes.VerificationFailure;
        return mode switch
        {
            '0' => Ok(),
            '1' or '2' => Ok(Hex.Format(Sync(_module.GenerateArpcMethod1Async(imk, scheme, card, arqc, Hex.Parse(r.Take(4), "arc"), CancellationToken.None)))),
            '4' => Ok(Hex.Format(Sync(_module.GenerateArpcMethod2Async(imk, scheme, card, arqc, Hex.Parse(r.Take(8), "csu"),
                r.TakeNumber(2) is int p and > 0 ? Hex.Parse(r.Take(p * 2), "proprietary data") : [], CancellationToken.None)))),
            _ => throw new PayShieldProtocolException(PayShieldCodes.InvalidInput, "mode"),
        };
    }

    // KQ and ZA card fields: PAN length (2) + PAN, PSN (2), ATC (4H), UN (8H).
    private static EmvCardContext ReadCard(PayShieldReader r)
    {
        string pan = r.Take(r.TakeNumber(2));
        string psn = r.Take(2);
        byte[] atc = Hex.Parse(r.Take(4), "atc");
        byte[] un = Hex.Parse(r.Take(8), "un");
        return EmvCryptograms.Context(pan, psn, atc, un);
    }

    // KQ and ZA transaction data: length in bytes (4H), then the data as hex.
    private static byte[] ReadData(PayShieldReader r)
    {
        int dataLength = r.TakeHexNumber(4);
        return dataLength == 0 ? [] : Hex.Parse(r.Take(dataLength * 2), "data");
    }

    /// <summary>payShield key type codes used by A0 (the simulator's subset).</summary>
    public static KeyType ParseKeyType(string code) => code switch
    {
        "000" => KeyType.Zmk,
        "001" => KeyType.Zpk,
        "002" => KeyType.Tpk,
        "003" => KeyType.Tak,
        "008" => KeyType.Zak,
        "009" => KeyType.Bdk,
        "109" => KeyType.ImkAc,
        "402" => KeyType.Cvk,
        "FFF" => KeyType.Generic,
        _ => KeyType.Pvk,
    };

    /// <summary>The A0 key type code for a key type.</summary>
    public static string KeyTypeCode(KeyType type) => type switch
    {
        KeyType.Zmk => "000", KeyType.Zpk => "001", KeyType.Tpk => "002", KeyType.Tak => "003", KeyType.Zak => "008",
        KeyType.Bdk => "009", KeyType.ImkAc => "109", KeyType.Cvk => "402", KeyType.Pvk => "PVK", _ => "FFF",
    };
}
