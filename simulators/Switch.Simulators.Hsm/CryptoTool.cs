using Switch.Security;
using Switch.Security.Dukpt;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Security.Primitives;

namespace Switch.Simulators.Hsm;

/// <summary>
/// The <c>switch crypto OP</c> operations as data in, data out: option names in snake_case, hex values uppercase.
/// Shared by the command line and the vector tests so both exercise exactly the same path into a back end.
/// </summary>
public static class CryptoTool
{
    /// <summary>Every operation and the options it accepts (required ones first, optional ones after '|').</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Required, string[] Optional, string Summary)> Operations =
        new Dictionary<string, (string[], string[], string)>(StringComparer.Ordinal)
        {
            ["kcv"] = (["key", "alg"], [], "Key check value: first 3 bytes of a zero block enciphered under the key."),
            ["pinblock-encode"] = (["format", "pin"], ["pan", "key"], "Build a clear ISO 9564 PIN block (format 4: enciphered under --key)."),
            ["pinblock-decode"] = (["format", "block"], ["pan", "key"], "Read the PIN from a PIN block (clear, or under --key)."),
            ["pinblock-translate"] = (["from_key", "to_key", "block", "pan", "format"], ["to_format"], "Re-encipher a PIN block from one TDES key to another."),
            ["dukpt-tdes"] = (["bdk", "ksn"], [], "ANSI X9.24-1:2009 DUKPT keys for a KSN."),
            ["dukpt-aes"] = (["bdk", "ksn", "key_type"], [], "ANSI X9.24-3-2017 AES DUKPT keys for a KSN."),
            ["mac"] = (["alg", "key", "data"], ["padding"], "MAC: ISO 9797-1 algorithm 1 or 3, AES-CMAC or TDES-CMAC."),
            ["mac-verify"] = (["alg", "key", "data", "mac"], ["padding"], "Verify a MAC; fails with exit 1 when it does not match."),
            ["cvv"] = (["cvk", "pan", "expiry", "service_code"], [], "CVV/CVC (service code 000 for CVV2, 999 for iCVV)."),
            ["cvv-verify"] = (["cvk", "pan", "expiry", "service_code", "cvv"], [], "Verify a CVV/CVC; fails with exit 1 when it does not match."),
            ["pvv"] = (["pvk", "pan", "pin", "pvki"], [], "Visa PVV."),
            ["ibm3624-offset"] = (["pvk", "pan", "pin", "decimalization_table", "pin_length", "validation_data"], [], "IBM 3624 PIN offset."),
            ["arqc"] = (["imk", "pan", "psn", "atc", "un", "data", "scheme"], [], "EMV ARQC (visa-cvn10, visa-cvn18, emv-csk)."),
            ["arpc"] = (["imk", "pan", "psn", "atc", "un", "arqc", "method", "scheme"], ["arc", "csu", "prop_auth_data"], "EMV ARPC method 1 (--arc) or 2 (--csu, --prop-auth-data)."),
        };

    /// <summary>Runs one operation on <paramref name="module"/>; returns the outputs by name.</summary>
    public static async ValueTask<IReadOnlyDictionary<string, string>> RunAsync(ISecurityTooling module, string op, IReadOnlyDictionary<string, string> input, CancellationToken ct)
    {
        if (!Operations.TryGetValue(op, out var shape)) throw new SecurityInputException($"unknown operation '{op}'");
        foreach (string name in shape.Required)
        {
            // MAC data may be empty (HSM-CONTRACT "Empty data"): absent is an error, "" is zero-length data.
            bool emptyAllowed = name == "data" && (op is "mac" or "mac-verify");
            if (!input.TryGetValue(name, out string? v) || (v.Length == 0 && !emptyAllowed)) throw new SecurityInputException($"{name}: missing (--{name.Replace('_', '-')})");
        }
        var args = new Args(input);
        return op switch
        {
            "kcv" => await Kcv(module, args, ct).ConfigureAwait(false),
            "pinblock-encode" => await PinBlockEncode(module, args, ct).ConfigureAwait(false),
            "pinblock-decode" => await PinBlockDecode(module, args, ct).ConfigureAwait(false),
            "pinblock-translate" => await PinBlockTranslate(module, args, ct).ConfigureAwait(false),
            "dukpt-tdes" => await DukptTdes(module, args, ct).ConfigureAwait(false),
            "dukpt-aes" => await DukptAes(module, args, ct).ConfigureAwait(false),
            "mac" => await MacGenerate(module, args, ct).ConfigureAwait(false),
            "mac-verify" => await MacVerify(module, args, ct).ConfigureAwait(false),
            "cvv" => await Cvv(module, args, ct).ConfigureAwait(false),
            "cvv-verify" => await CvvVerify(module, args, ct).ConfigureAwait(false),
            "pvv" => await Pvv(module, args, ct).ConfigureAwait(false),
            "ibm3624-offset" => await IbmOffset(module, args, ct).ConfigureAwait(false),
            "arqc" => await Arqc(module, args, ct).ConfigureAwait(false),
            _ => await Arpc(module, args, ct).ConfigureAwait(false),
        };
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> Kcv(ISecurityTooling m, Args a, CancellationToken ct)
    {
        using SecureKey key = await a.Key(m, "key", KeyLengths.Parse(a["alg"], "alg"), ct).ConfigureAwait(false);
        return Out("kcv", await m.KeyCheckValueAsync(key, ct).ConfigureAwait(false));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> PinBlockEncode(ISecurityTooling m, Args a, CancellationToken ct)
    {
        PinBlockFormat format = PinBlockFormats.Parse(a["format"]);
        string pin = a["pin"];
        PinBlock.CheckPin(pin);
        string pan = a.Optional("pan") ?? "";
        if (format == PinBlockFormat.Iso4)
        {
            using SecureKey key = await a.Key(m, "key", KeyAlgorithm.Aes, ct).ConfigureAwait(false);
            return Out("block", Hex.Format(await m.EncodePinBlock4Async(key, pin, pan, ct).ConfigureAwait(false)));
        }
        // Formats 0, 1 and 3 without a key are formatting, not cryptography: no HSM involved.
        var block = new byte[8];
        PinBlock.Encode(format, pin, pan, block);
        return Out("block", Hex.Format(block));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> PinBlockDecode(ISecurityTooling m, Args a, CancellationToken ct)
    {
        PinBlockFormat format = PinBlockFormats.Parse(a["format"]);
        byte[] block = Hex.Parse(a["block"], "block");
        int expected = PinBlockFormats.BlockBytes(format);
        if (block.Length != expected) throw new SecurityInputException($"block: a format {(int)format} PIN block must be {expected} bytes, got {block.Length}");
        string? pan = a.Optional("pan");
        if (a.Optional("key") is null)
        {
            if (format == PinBlockFormat.Iso4) throw new SecurityInputException("key: format 4 PIN blocks are always enciphered; give --key");
            var pin = new char[PinBlock.PinDigitsMax];
            int length = PinBlock.Decode(format, block, pan, pin);
            return Out("pin", new string(pin, 0, length));
        }
        using SecureKey key = await a.Key(m, "key", format == PinBlockFormat.Iso4 ? KeyAlgorithm.Aes : KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        return Out("pin", await m.RevealPinAsync(new EncryptedPinBlock(key, format, block), pan, ct).ConfigureAwait(false));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> PinBlockTranslate(ISecurityTooling m, Args a, CancellationToken ct)
    {
        PinBlockFormat from = PinBlockFormats.Parse(a["format"]);
        PinBlockFormat to = a.Optional("to_format") is { } t ? PinBlockFormats.Parse(t, "to_format") : from;
        using SecureKey fromKey = await a.Key(m, "from_key", from == PinBlockFormat.Iso4 ? KeyAlgorithm.Aes : KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        using SecureKey toKey = await a.Key(m, "to_key", to == PinBlockFormat.Iso4 ? KeyAlgorithm.Aes : KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        byte[] block = Hex.Parse(a["block"], "block");
        var output = new byte[16];
        int n = await m.TranslatePinAsync(new EncryptedPinBlock(fromKey, from, block), a["pan"], toKey, to, output, ct).ConfigureAwait(false);
        return Out("block", Hex.Format(output.AsSpan(0, n)));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> DukptTdes(ISecurityTooling m, Args a, CancellationToken ct)
    {
        byte[] ksn = Hex.Parse(a["ksn"], "ksn");
        TdesDukpt.RequireKsn(ksn);
        using SecureKey bdk = await a.Key(m, "bdk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        DukptTdesKeys keys = await m.DeriveDukptTdesAsync(bdk, ksn, ct).ConfigureAwait(false);
        return new Dictionary<string, string>
        {
            ["ipek"] = Hex.Format(keys.Ipek), ["pin_key"] = Hex.Format(keys.PinKey),
            ["mac_key"] = Hex.Format(keys.MacKey), ["data_key"] = Hex.Format(keys.DataKey),
        };
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> DukptAes(ISecurityTooling m, Args a, CancellationToken ct)
    {
        int keyBytes = AesDukpt.ParseKeyType(a["key_type"]);
        byte[] ksn = Hex.Parse(a["ksn"], "ksn");
        AesDukpt.RequireKsn(ksn);
        using SecureKey bdk = await a.Key(m, "bdk", KeyAlgorithm.Aes, ct).ConfigureAwait(false);
        DukptAesKeys keys = await m.DeriveDukptAesAsync(bdk, keyBytes, ksn, ct).ConfigureAwait(false);
        return new Dictionary<string, string>
        {
            ["initial_key"] = Hex.Format(keys.InitialKey), ["pin_key"] = Hex.Format(keys.PinKey),
            ["mac_gen_key"] = Hex.Format(keys.MacGenerationKey), ["data_key"] = Hex.Format(keys.DataKey),
        };
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> MacGenerate(ISecurityTooling m, Args a, CancellationToken ct)
    {
        MacAlgorithm alg = MacAlgorithms.Parse(a["alg"]);
        MacPadding padding = MacAlgorithms.ParsePadding(a.Optional("padding"));
        using SecureKey key = await a.Key(m, "key", MacAlgorithms.KeyAlgorithm(alg), ct).ConfigureAwait(false);
        var mac = new byte[16];
        int n = await m.GenerateMacAsync(key, alg, padding, a.HexDataOrEmpty("data"), mac, ct).ConfigureAwait(false);
        return Out("mac", Hex.Format(mac.AsSpan(0, n)));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> MacVerify(ISecurityTooling m, Args a, CancellationToken ct)
    {
        MacAlgorithm alg = MacAlgorithms.Parse(a["alg"]);
        MacPadding padding = MacAlgorithms.ParsePadding(a.Optional("padding"));
        using SecureKey key = await a.Key(m, "key", MacAlgorithms.KeyAlgorithm(alg), ct).ConfigureAwait(false);
        bool ok = await m.VerifyMacAsync(key, alg, padding, a.HexDataOrEmpty("data"), Hex.Parse(a["mac"], "mac"), ct).ConfigureAwait(false);
        return ok ? Out("verified", "true") : throw new SecurityInputException("mac: verification failed (MAC does not match)", SecurityInputProblem.VerificationFailed);
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> Cvv(ISecurityTooling m, Args a, CancellationToken ct)
    {
        using SecureKey cvk = await a.Key(m, "cvk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        return Out("cvv", await m.GenerateCvvAsync(cvk, Digits.Pan(a["pan"]), a["expiry"], a["service_code"], ct).ConfigureAwait(false));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> CvvVerify(ISecurityTooling m, Args a, CancellationToken ct)
    {
        using SecureKey cvk = await a.Key(m, "cvk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        bool ok = await m.VerifyCvvAsync(cvk, Digits.Pan(a["pan"]), a["expiry"], a["service_code"], a["cvv"], ct).ConfigureAwait(false);
        return ok ? Out("verified", "true") : throw new SecurityInputException("cvv: verification failed (CVV does not match)", SecurityInputProblem.VerificationFailed);
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> Pvv(ISecurityTooling m, Args a, CancellationToken ct)
    {
        using SecureKey pvk = await a.Key(m, "pvk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        int pvki = int.Parse(Digits.Require(a["pvki"], "pvki", 1, 1), System.Globalization.CultureInfo.InvariantCulture);
        return Out("pvv", await m.GeneratePvvAsync(pvk, Digits.Pan(a["pan"]), Digits.Pin(a["pin"]), pvki, ct).ConfigureAwait(false));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> IbmOffset(ISecurityTooling m, Args a, CancellationToken ct)
    {
        using SecureKey pvk = await a.Key(m, "pvk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        Digits.Pan(a["pan"]);
        int pinLength = int.Parse(Digits.Require(a["pin_length"], "pin_length", 1, 2), System.Globalization.CultureInfo.InvariantCulture);
        byte[] table = Decimalization.ParseTable(a["decimalization_table"]);
        string offset = await m.GenerateIbm3624OffsetAsync(pvk, Digits.Pin(a["pin"]), table, pinLength, a["validation_data"], ct).ConfigureAwait(false);
        return Out("offset", offset);
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> Arqc(ISecurityTooling m, Args a, CancellationToken ct)
    {
        EmvScheme scheme = EmvCryptograms.ParseScheme(a["scheme"]);
        EmvCardContext card = a.Card();
        using SecureKey imk = await a.Key(m, "imk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        return Out("arqc", Hex.Format(await m.GenerateArqcAsync(imk, scheme, card, a.HexData("data"), ct).ConfigureAwait(false)));
    }

    private static async ValueTask<IReadOnlyDictionary<string, string>> Arpc(ISecurityTooling m, Args a, CancellationToken ct)
    {
        EmvScheme scheme = EmvCryptograms.ParseScheme(a["scheme"]);
        EmvCardContext card = a.Card();
        byte[] arqc = Hex.ParseExact(a["arqc"], 8, "arqc");
        using SecureKey imk = await a.Key(m, "imk", KeyAlgorithm.Tdes, ct).ConfigureAwait(false);
        byte[] arpc = a["method"] switch
        {
            "1" => await m.GenerateArpcMethod1Async(imk, scheme, card, arqc, Hex.ParseExact(a.Optional("arc") ?? throw new SecurityInputException("arc: missing (--arc), needed by method 1"), 2, "arc"), ct).ConfigureAwait(false),
            "2" => await m.GenerateArpcMethod2Async(imk, scheme, card, arqc,
                Hex.ParseExact(a.Optional("csu") ?? throw new SecurityInputException("csu: missing (--csu), needed by method 2"), 4, "csu"),
                a.Optional("prop_auth_data") is { } p ? Hex.Parse(p, "prop_auth_data") : [], ct).ConfigureAwait(false),
            _ => throw new SecurityInputException("method: must be 1 or 2"),
        };
        return Out("arpc", Hex.Format(arpc));
    }

    private static Dictionary<string, string> Out(string name, string value) => new() { [name] = value };

    /// <summary>Named inputs with typed accessors whose errors name the option.</summary>
    private sealed class Args(IReadOnlyDictionary<string, string> input)
    {
        public string this[string name] => input[name];

        public string? Optional(string name) => input.TryGetValue(name, out string? v) && !string.IsNullOrEmpty(v) ? v : null;

        public byte[] HexData(string name) => Hex.Parse(input[name], name);

        public byte[] HexDataOrEmpty(string name) => input[name].Length == 0 ? [] : Hex.Parse(input[name], name);

        public async ValueTask<SecureKey> Key(ISecurityTooling m, string name, KeyAlgorithm algorithm, CancellationToken ct)
        {
            byte[] clear = Hex.Parse(Optional(name), name);
            try
            {
                KeyLengths.Require(algorithm, clear.Length, name);
                WeakKeys.Refuse(algorithm, clear, name);
                return await m.ImportClearKeyAsync(KeyType.Generic, algorithm, clear, ct).ConfigureAwait(false);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(clear);
            }
        }

        public EmvCardContext Card() => EmvCryptograms.Context(input["pan"], input["psn"], Hex.ParseExact(input["atc"], 2, "atc"), Hex.ParseExact(input["un"], 4, "un"));
    }
}
