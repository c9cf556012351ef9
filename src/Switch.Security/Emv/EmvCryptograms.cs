using System.Security.Cryptography;
using Switch.Security.Backends;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Primitives;

namespace Switch.Security.Emv;

/// <summary>How the application cryptogram key is derived and the data padded.</summary>
public enum EmvScheme
{
    /// <summary>Visa CVN 10: ICC master key (option A) used directly; zero padding (ISO 9797-1 method 1).</summary>
    VisaCvn10,
    /// <summary>Visa CVN 18: option B master key; common session key with R = ATC ‖ 00×6; padding method 2.</summary>
    VisaCvn18,
    /// <summary>EMV common session key: option A master key; R = ATC ‖ 0000 ‖ UN; padding method 2.</summary>
    EmvCsk,
}

/// <summary>Inputs that identify the card and the transaction for an application cryptogram.</summary>
/// <param name="Pan">Application PAN digits.</param>
/// <param name="Psn">PAN sequence number, 2 digits.</param>
/// <param name="Atc">Application transaction counter, 2 bytes.</param>
/// <param name="Un">Unpredictable number, 4 bytes.</param>
public readonly record struct EmvCardContext(string Pan, string Psn, ReadOnlyMemory<byte> Atc, ReadOnlyMemory<byte> Un);

/// <summary>EMV Book 2 Annex A1 key derivation, ARQC generation/verification and ARPC methods 1 and 2.</summary>
public static class EmvCryptograms
{
    /// <summary>Parses visa-cvn10|visa-cvn18|emv-csk.</summary>
    public static EmvScheme ParseScheme(string? text) => text?.ToLowerInvariant() switch
    {
        "visa-cvn10" => EmvScheme.VisaCvn10,
        "visa-cvn18" => EmvScheme.VisaCvn18,
        "emv-csk" => EmvScheme.EmvCsk,
        _ => throw new SecurityInputException("scheme: must be visa-cvn10, visa-cvn18 or emv-csk"),
    };

    /// <summary>Checks the card context fields and returns it.</summary>
    public static EmvCardContext Context(string? pan, string? psn, byte[] atc, byte[] un)
    {
        Digits.Require(pan, "pan", 8, 19);
        Digits.Require(psn, "psn", 2, 2);
        if (atc.Length != 2) throw new SecurityInputException($"atc: must be 2 bytes, got {atc.Length}");
        if (un.Length != 4) throw new SecurityInputException($"un: must be 4 bytes, got {un.Length}");
        return new EmvCardContext(pan!, psn!, atc, un);
    }

    /// <summary>The key that computes the cryptogram for this scheme (caller disposes it).</summary>
    public static KeyHandle AcKey(ICipherEngine engine, KeyHandle imk, EmvScheme scheme, in EmvCardContext card)
    {
        if (imk.Algorithm != KeyAlgorithm.Tdes || imk.LengthBytes != 16) throw new SecurityInputException("imk: must be a double-length (16-byte) TDES key");
        KeyHandle mk = IccMasterKey(engine, imk, card.Pan, card.Psn, optionB: scheme == EmvScheme.VisaCvn18);
        if (scheme == EmvScheme.VisaCvn10) return mk;
        using var owned = mk;
        Span<byte> r = stackalloc byte[8];
        r.Clear();
        card.Atc.Span.CopyTo(r);
        if (scheme == EmvScheme.EmvCsk) card.Un.Span.CopyTo(r[4..]);
        return CommonSessionKey(engine, mk, r);
    }

    /// <summary>Generates the 8-byte ARQC over <paramref name="data"/>.</summary>
    public static void Arqc(ICipherEngine engine, KeyHandle imk, EmvScheme scheme, in EmvCardContext card, ReadOnlySpan<byte> data, Span<byte> arqc)
    {
        using KeyHandle ac = AcKey(engine, imk, scheme, card);
        var padding = scheme == EmvScheme.VisaCvn10 ? MacPadding.Method1 : MacPadding.Method2;
        MacComputer.Compute(engine, ac, MacAlgorithm.Iso9797Alg3, padding, data, arqc);
    }

    /// <summary>Recomputes the ARQC and compares in constant time.</summary>
    public static bool VerifyArqc(ICipherEngine engine, KeyHandle imk, EmvScheme scheme, in EmvCardContext card, ReadOnlySpan<byte> data, ReadOnlySpan<byte> arqc)
    {
        if (arqc.Length != 8) throw new SecurityInputException($"arqc: must be 8 bytes, got {arqc.Length}");
        Span<byte> expected = stackalloc byte[8];
        Arqc(engine, imk, scheme, card, data, expected);
        return CryptographicOperations.FixedTimeEquals(expected, arqc);
    }

    /// <summary>ARPC method 1: TDES(AC key, ARQC XOR (ARC ‖ 00×6)).</summary>
    public static void Arpc1(ICipherEngine engine, KeyHandle imk, EmvScheme scheme, in EmvCardContext card, ReadOnlySpan<byte> arqc, ReadOnlySpan<byte> arc, Span<byte> arpc)
    {
        if (arqc.Length != 8) throw new SecurityInputException($"arqc: must be 8 bytes, got {arqc.Length}");
        if (arc.Length != 2) throw new SecurityInputException($"arc: must be 2 bytes, got {arc.Length}");
        using KeyHandle ac = AcKey(engine, imk, scheme, card);
        Span<byte> block = stackalloc byte[8];
        arqc.CopyTo(block);
        block[0] ^= arc[0];
        block[1] ^= arc[1];
        engine.EncryptEcb(ac, KeyPart.Whole, block, arpc[..8]);
    }

    /// <summary>ARPC method 2: leftmost 4 bytes of MAC(AC key, ARQC ‖ CSU ‖ proprietary data), padding method 2.</summary>
    public static void Arpc2(ICipherEngine engine, KeyHandle imk, EmvScheme scheme, in EmvCardContext card, ReadOnlySpan<byte> arqc, ReadOnlySpan<byte> csu, ReadOnlySpan<byte> proprietary, Span<byte> arpc)
    {
        if (arqc.Length != 8) throw new SecurityInputException($"arqc: must be 8 bytes, got {arqc.Length}");
        if (csu.Length != 4) throw new SecurityInputException($"csu: must be 4 bytes, got {csu.Length}");
        if (proprietary.Length > 8) throw new SecurityInputException($"prop_auth_data: at most 8 bytes, got {proprietary.Length}");
        using KeyHandle ac = AcKey(engine, imk, scheme, card);
        Span<byte> input = stackalloc byte[20];
        arqc.CopyTo(input);
        csu.CopyTo(input[8..]);
        proprietary.CopyTo(input[12..]);
        Span<byte> mac = stackalloc byte[8];
        MacComputer.Compute(engine, ac, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, input[..(12 + proprietary.Length)], mac);
        mac[..4].CopyTo(arpc);
    }

    /// <summary>
    /// ICC master key. Option A: Y = rightmost 16 digits of PAN ‖ PSN; MK = TDES(IMK, Y ‖ Y XOR FF…). Option B (PANs longer
    /// than 16 digits): Y = 16 decimalized digits of SHA-1(PAN ‖ PSN); shorter PANs fall back to option A, as EMV specifies.
    /// </summary>
    public static KeyHandle IccMasterKey(ICipherEngine engine, KeyHandle imk, string pan, string psn, bool optionB)
    {
        Span<char> y = stackalloc char[16];
        string panPsn = pan + psn;
        if (optionB && pan.Length > 16)
        {
            string x = panPsn.Length % 2 == 1 ? "0" + panPsn : panPsn;
            // EMV Book 2 A1.4.2 prescribes SHA-1 here; it is a derivation input, not a signature.
#pragma warning disable CA5350
            byte[] hash = SHA1.HashData(Convert.FromHexString(x));
#pragma warning restore CA5350
            Decimalization.VisaDigits(hash, y);
        }
        else
        {
            y.Fill('0');
            ReadOnlySpan<char> right = panPsn.Length > 16 ? panPsn.AsSpan(panPsn.Length - 16) : panPsn;
            right.CopyTo(y[(16 - right.Length)..]);
        }
        Span<byte> data = stackalloc byte[16];
        for (int i = 0; i < 8; i++)
        {
            data[i] = (byte)(((y[2 * i] - '0') << 4) | (y[2 * i + 1] - '0'));
            data[8 + i] = (byte)~data[i];
        }
        return engine.DeriveByEncryption(imk, KeyAlgorithm.Tdes, data, data.Length);
    }

    /// <summary>EMV common session key: SK = TDES(MK, R with byte 2 = F0 ‖ R with byte 2 = 0F).</summary>
    public static KeyHandle CommonSessionKey(ICipherEngine engine, KeyHandle mk, ReadOnlySpan<byte> r)
    {
        Span<byte> data = stackalloc byte[16];
        r.CopyTo(data);
        r.CopyTo(data[8..]);
        data[2] = 0xF0;
        data[10] = 0x0F;
        return engine.DeriveByEncryption(mk, KeyAlgorithm.Tdes, data, data.Length);
    }
}
