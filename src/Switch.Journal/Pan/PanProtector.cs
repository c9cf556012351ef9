using System.Security.Cryptography;
using Switch.Common.Masking;

namespace Switch.Journal.Pan;

/// <summary>
/// What the journal keeps of a PAN: the 6/4 mask (<see cref="PanMask"/>), an HMAC-SHA-256 under the hash key for
/// look-ups, and an AES-256-GCM encryption under the data key for reversals and disputes. The clear PAN is never
/// stored. Keys come from the host (resolved from the configured key references); they are copied and zeroed on
/// dispose. Thread-safe.
/// </summary>
public sealed class PanProtector : IDisposable
{
    /// <summary>Bytes of <see cref="Hash"/>'s output.</summary>
    public const int HashBytes = 32;

    /// <summary>Format byte that starts an encrypted PAN (layout: format, 12-byte nonce, ciphertext, 16-byte tag).</summary>
    public const byte EncryptedFormat = 1;

    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int PanDigitsMax = 19;

    private readonly byte[] _hashKey;
    private readonly byte[] _dataKey;
    private readonly ThreadLocal<AesGcm> _aes;

    /// <summary>Creates a protector; <paramref name="hashKey"/> at least 32 bytes, <paramref name="dataKey"/> exactly 32 (AES-256).</summary>
    public PanProtector(ReadOnlySpan<byte> hashKey, ReadOnlySpan<byte> dataKey)
    {
        if (hashKey.Length < 32) throw new ArgumentException("the PAN hash key must be at least 32 bytes", nameof(hashKey));
        if (dataKey.Length != 32) throw new ArgumentException("the PAN data key must be 32 bytes (AES-256)", nameof(dataKey));
        _hashKey = hashKey.ToArray();
        _dataKey = dataKey.ToArray();
        // AesGcm instances are not documented thread-safe; one per thread avoids a lock on the hot path.
        _aes = new ThreadLocal<AesGcm>(() => new AesGcm(_dataKey, TagBytes), trackAllValues: true);
    }

    /// <summary>Bytes of an encrypted PAN of <paramref name="panLength"/> digits.</summary>
    public static int EncryptedLength(int panLength) => 1 + NonceBytes + panLength + TagBytes;

    /// <summary>The 6/4 masked PAN.</summary>
    public static string Mask(ReadOnlySpan<char> pan) => PanMask.Mask(pan);

    /// <summary>HMAC-SHA-256 of the PAN's ASCII digits under the hash key.</summary>
    public byte[] Hash(ReadOnlySpan<char> pan)
    {
        Span<byte> ascii = stackalloc byte[PanDigitsMax];
        int n = ToAscii(pan, ascii);
        var mac = new byte[HashBytes];
        HMACSHA256.HashData(_hashKey, ascii[..n], mac);
        CryptographicOperations.ZeroMemory(ascii);
        return mac;
    }

    /// <summary>The PAN encrypted under the data key with a fresh random nonce.</summary>
    public byte[] Encrypt(ReadOnlySpan<char> pan)
    {
        Span<byte> ascii = stackalloc byte[PanDigitsMax];
        int n = ToAscii(pan, ascii);
        var output = new byte[EncryptedLength(n)];
        output[0] = EncryptedFormat;
        Span<byte> nonce = output.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        _aes.Value!.Encrypt(nonce, ascii[..n], output.AsSpan(1 + NonceBytes, n), output.AsSpan(1 + NonceBytes + n, TagBytes));
        CryptographicOperations.ZeroMemory(ascii);
        return output;
    }

    /// <summary>
    /// Decrypts an encrypted PAN into <paramref name="destination"/> (at least 19 chars) and returns the digits
    /// written. For reversals and disputes only; the caller must not log or store the result.
    /// </summary>
    public int Decrypt(ReadOnlySpan<byte> encrypted, Span<char> destination)
    {
        int n = encrypted.Length - 1 - NonceBytes - TagBytes;
        if (n < 1 || n > PanDigitsMax || encrypted[0] != EncryptedFormat)
            throw new CryptographicException("not an encrypted PAN of this format");
        if (destination.Length < n) throw new ArgumentException("destination too small", nameof(destination));
        Span<byte> ascii = stackalloc byte[PanDigitsMax];
        _aes.Value!.Decrypt(encrypted.Slice(1, NonceBytes), encrypted.Slice(1 + NonceBytes, n), encrypted.Slice(1 + NonceBytes + n, TagBytes), ascii[..n]);
        for (int i = 0; i < n; i++) destination[i] = (char)ascii[i];
        CryptographicOperations.ZeroMemory(ascii);
        return n;
    }

    /// <summary>Zeroes the keys and releases the ciphers.</summary>
    public void Dispose()
    {
        foreach (AesGcm aes in _aes.Values) aes.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_hashKey);
        CryptographicOperations.ZeroMemory(_dataKey);
    }

    private static int ToAscii(ReadOnlySpan<char> pan, Span<byte> ascii)
    {
        if (pan.Length < 8 || pan.Length > PanDigitsMax) throw new ArgumentException($"a PAN has 8 to {PanDigitsMax} digits, not {pan.Length}", nameof(pan));
        for (int i = 0; i < pan.Length; i++)
        {
            if (!char.IsAsciiDigit(pan[i])) throw new ArgumentException($"a PAN holds digits only (position {i})", nameof(pan));
            ascii[i] = (byte)pan[i];
        }
        return pan.Length;
    }
}
