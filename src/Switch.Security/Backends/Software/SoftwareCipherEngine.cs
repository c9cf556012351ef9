using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Switch.Security.Keys;
using Switch.Security.Mac;

namespace Switch.Security.Backends.Software;

/// <summary>
/// Cipher engine in process memory: BouncyCastle DES/TDES (managed, allocation-free per block, stateless after
/// initialisation so one handle serves many threads) and .NET AES (AES-NI through OpenSSL).
/// </summary>
public sealed class SoftwareCipherEngine : ICipherEngine
{
    private static readonly byte[] DukptMask = Convert.FromHexString("C0C0C0C000000000C0C0C0C000000000");

    /// <inheritdoc />
    public string Name => "software";

    /// <inheritdoc />
    public KeyHandle Import(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey)
    {
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        return algorithm == KeyAlgorithm.Tdes ? new TdesKey(clearKey) : new AesKey(clearKey);
    }

    /// <inheritdoc />
    public void EncryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output) => Ecb(key, part, true, input, output);

    /// <inheritdoc />
    public void DecryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output) => Ecb(key, part, false, input, output);

    /// <inheritdoc />
    public void EncryptCbc(KeyHandle key, KeyPart part, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int n = key.BlockBytes;
        RequireBlocks(input.Length, n);
        Span<byte> chain = stackalloc byte[16];
        chain = chain[..n];
        iv[..n].CopyTo(chain);
        for (int off = 0; off < input.Length; off += n)
        {
            for (int i = 0; i < n; i++) chain[i] ^= input[off + i];
            Ecb(key, part, true, chain, chain);
            chain.CopyTo(output.Slice(off, n));
        }
    }

    /// <inheritdoc />
    public KeyHandle DeriveByEncryption(KeyHandle parent, KeyAlgorithm derivedAlgorithm, ReadOnlySpan<byte> data, int keyBytes)
    {
        if (keyBytes > data.Length) throw new ArgumentOutOfRangeException(nameof(keyBytes), "derived key longer than the derivation data");
        Span<byte> derived = stackalloc byte[32];
        derived = derived[..data.Length];
        try
        {
            Ecb(parent, KeyPart.Whole, true, data, derived);
            return Import(derivedAlgorithm, derived[..keyBytes]);
        }
        finally
        {
            derived.Clear();
        }
    }

    /// <inheritdoc />
    public void Cmac(KeyHandle key, ReadOnlySpan<byte> data, Span<byte> mac) => CmacCore.Compute(this, key, data, mac);

    /// <inheritdoc />
    public void Dispose() { }

    private static void Ecb(KeyHandle key, KeyPart part, bool encrypt, ReadOnlySpan<byte> input, Span<byte> output)
    {
        switch (key)
        {
            case TdesKey t:
                RequireBlocks(input.Length, 8);
                IBlockCipher cipher = t.Cipher(part, encrypt);
                for (int off = 0; off < input.Length; off += 8) cipher.ProcessBlock(input.Slice(off, 8), output.Slice(off, 8));
                break;
            case AesKey a:
                if (part != KeyPart.Whole) throw new SecurityInputException("key: this operation needs a TDES key");
                RequireBlocks(input.Length, 16);
                if (encrypt) a.Aes.EncryptEcb(input, output, PaddingMode.None);
                else a.Aes.DecryptEcb(input, output, PaddingMode.None);
                break;
            default:
                throw new ArgumentException("key handle belongs to another engine", nameof(key));
        }
    }

    private static void RequireBlocks(int length, int blockBytes)
    {
        if (length == 0 || length % blockBytes != 0) throw new SecurityInputException($"data: must be a whole number of {blockBytes}-byte blocks, got {length} bytes");
    }

    /// <summary>A TDES key with every schedule the composed algorithms need, prepared once at import.</summary>
    private sealed class TdesKey : KeyHandle
    {
        private readonly IBlockCipher _enc, _dec, _leftEnc, _leftDec, _rightEnc, _rightDec, _variantEnc, _variantDec;

        public TdesKey(ReadOnlySpan<byte> key) : base(KeyAlgorithm.Tdes, key.Length)
        {
            _enc = Tdes(key, true);
            _dec = Tdes(key, false);
            _leftEnc = Des(key[..8], true);
            _leftDec = Des(key[..8], false);
            _rightEnc = Des(key.Slice(8, 8), true);
            _rightDec = Des(key.Slice(8, 8), false);
            Span<byte> variant = stackalloc byte[24];
            variant = variant[..key.Length];
            for (int i = 0; i < key.Length; i++) variant[i] = (byte)(key[i] ^ DukptMask[i % 16]);
            _variantEnc = Tdes(variant, true);
            _variantDec = Tdes(variant, false);
            variant.Clear();
        }

        public IBlockCipher Cipher(KeyPart part, bool encrypt) => part switch
        {
            KeyPart.Whole => encrypt ? _enc : _dec,
            KeyPart.Left => encrypt ? _leftEnc : _leftDec,
            KeyPart.Right => encrypt ? _rightEnc : _rightDec,
            KeyPart.DukptVariant => encrypt ? _variantEnc : _variantDec,
            _ => throw new ArgumentOutOfRangeException(nameof(part)),
        };

        private static DesEdeEngine Tdes(ReadOnlySpan<byte> key, bool encrypt)
        {
            var e = new DesEdeEngine();
            e.Init(encrypt, new KeyParameter(key));
            return e;
        }

        private static DesEngine Des(ReadOnlySpan<byte> key, bool encrypt)
        {
            var e = new DesEngine();
            e.Init(encrypt, new KeyParameter(key));
            return e;
        }
    }

    /// <summary>An AES key held by a .NET <see cref="System.Security.Cryptography.Aes"/> instance (one-shot ECB calls only).</summary>
    private sealed class AesKey : KeyHandle
    {
        public AesKey(ReadOnlySpan<byte> key) : base(KeyAlgorithm.Aes, key.Length)
        {
            Aes = System.Security.Cryptography.Aes.Create();
            Aes.SetKey(key);
        }

        public System.Security.Cryptography.Aes Aes { get; }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Aes.Dispose();
            base.Dispose(disposing);
        }
    }
}
