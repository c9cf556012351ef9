using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Switch.Security.Primitives;

namespace Switch.Security.Keys;

/// <summary>
/// The local master key of the software back end and the payShield simulator: an AES-256 key that wraps every stored
/// key as an authenticated key block (AES-GCM, header bound as associated data, in the spirit of TR-31). The LMK file
/// is for development and the demo; in production the LMK lives inside the payShield or the PKCS#11 token.
/// </summary>
public sealed class Lmk : IDisposable
{
    /// <summary>LMK file name inside the store directory.</summary>
    public const string FileName = "lmk.json";

    private const int NonceBytes = 12, TagBytes = 16, LmkBytes = 32;
    private readonly AesGcm _gcm;

    private Lmk(byte[] key)
    {
        _gcm = new AesGcm(key, TagBytes);
        Span<byte> zero = stackalloc byte[16];
        zero.Clear();
        using var aes = Aes.Create();
        aes.SetKey(key);
        CheckValue = Hex.Format(aes.EncryptEcb(zero, PaddingMode.None).AsSpan(0, 3));
    }

    /// <summary>Check value of the LMK itself (identifies which LMK a store belongs to; reveals nothing).</summary>
    public string CheckValue { get; }

    /// <summary>An LMK from raw bytes (tests and the in-process simulator).</summary>
    public static Lmk FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != LmkBytes) throw new SecurityInputException($"lmk: must be {LmkBytes} bytes");
        return new Lmk(key.ToArray());
    }

    /// <summary>A fresh random LMK (not persisted).</summary>
    public static Lmk Generate() => new(RandomNumberGenerator.GetBytes(LmkBytes));

    /// <summary>Creates a new LMK file (owner read/write only); refuses to overwrite one.</summary>
    public static Lmk Create(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        if (File.Exists(path)) throw new IOException($"{path} already exists; an LMK is never overwritten (keys under it would be lost)");
        byte[] key = RandomNumberGenerator.GetBytes(LmkBytes);
        var lmk = new Lmk(key);
        string json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["version"] = "1",
            ["kcv"] = lmk.CheckValue,
            ["created"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["key"] = Convert.ToHexString(key),
        });
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options)) stream.Write(Encoding.UTF8.GetBytes(json));
        CryptographicOperations.ZeroMemory(key);
        return lmk;
    }

    /// <summary>Loads the LMK file (<see cref="FileName"/>) from <paramref name="directory"/>.</summary>
    public static Lmk Load(string directory) => LoadFile(Path.Combine(directory, FileName));

    /// <summary>Loads an LMK file, read with a size limit (an LMK file is a few hundred bytes).</summary>
    public static Lmk LoadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found; run `switch keys init` first");
        string text = Switch.Common.IO.BoundedFile.ReadAllText(path, 4096);
        using var doc = JsonDocument.Parse(text);
        byte[] key = Hex.ParseExact(doc.RootElement.GetProperty("key").GetString(), LmkBytes, $"{path}: key");
        var lmk = new Lmk(key);
        CryptographicOperations.ZeroMemory(key);
        string? kcv = doc.RootElement.TryGetProperty("kcv", out var k) ? k.GetString() : null;
        if (kcv is not null && kcv != lmk.CheckValue) throw new IOException($"{path}: LMK check value mismatch (file damaged)");
        return lmk;
    }

    /// <summary>Wraps a clear key: "S" ‖ 4-digit block length ‖ 2-char type ‖ 1-char algorithm ‖ hex(nonce ‖ ciphertext ‖ tag).</summary>
    public string Wrap(KeyType type, KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey)
    {
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        int total = 1 + 4 + 3 + 2 * (NonceBytes + clearKey.Length + TagBytes);
        string header = string.Create(CultureInfo.InvariantCulture, $"S{total:D4}{TypeCode(type)}{(algorithm == KeyAlgorithm.Tdes ? 'T' : 'A')}");
        Span<byte> payload = stackalloc byte[NonceBytes + 32 + TagBytes];
        payload = payload[..(NonceBytes + clearKey.Length + TagBytes)];
        RandomNumberGenerator.Fill(payload[..NonceBytes]);
        // One AesGcm context is not safe for concurrent use; the simulator serves many connections.
        lock (_gcm) _gcm.Encrypt(payload[..NonceBytes], clearKey, payload.Slice(NonceBytes, clearKey.Length), payload[^TagBytes..], Encoding.ASCII.GetBytes(header));
        return header + Hex.Format(payload);
    }

    /// <summary>Unwraps a key block into <paramref name="clearKey"/>; returns the key length. A tampered block or another LMK fails.</summary>
    public int Unwrap(string block, Span<byte> clearKey, out KeyType type, out KeyAlgorithm algorithm)
    {
        (type, algorithm, int length) = ParseHeader(block);
        if (block.Length != length) throw new SecurityInputException($"key block: length {block.Length} does not match its header ({length})");
        byte[] payload = Hex.Parse(block[8..], "key block");
        int keyBytes = payload.Length - NonceBytes - TagBytes;
        KeyLengths.Require(algorithm, keyBytes, "key block");
        try
        {
            lock (_gcm) _gcm.Decrypt(payload.AsSpan(0, NonceBytes), payload.AsSpan(NonceBytes, keyBytes), payload.AsSpan(payload.Length - TagBytes), clearKey[..keyBytes], Encoding.ASCII.GetBytes(block[..8]));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecurityInputException("key block: not valid under this LMK (tampered, or made under another LMK)");
        }
        return keyBytes;
    }

    /// <summary>Encrypts a clear PIN under the LMK ("P" ‖ hex(nonce ‖ ciphertext ‖ tag)), as the payShield simulator returns PINs "under LMK".</summary>
    public string WrapPin(ReadOnlySpan<char> pin)
    {
        Pin.PinBlock.CheckPin(pin);
        Span<byte> clear = stackalloc byte[12];
        for (int i = 0; i < pin.Length; i++) clear[i] = (byte)pin[i];
        Span<byte> payload = stackalloc byte[NonceBytes + 12 + TagBytes];
        payload = payload[..(NonceBytes + pin.Length + TagBytes)];
        RandomNumberGenerator.Fill(payload[..NonceBytes]);
        lock (_gcm) _gcm.Encrypt(payload[..NonceBytes], clear[..pin.Length], payload.Slice(NonceBytes, pin.Length), payload[^TagBytes..], "P"u8);
        clear.Clear();
        return "P" + Hex.Format(payload);
    }

    /// <summary>Decrypts a PIN made by <see cref="WrapPin"/> into <paramref name="pin"/>; returns its length.</summary>
    public int UnwrapPin(string wrapped, Span<char> pin)
    {
        if (wrapped.Length < 2 || wrapped[0] != 'P') throw new SecurityInputException("pin under LMK: malformed");
        byte[] payload = Hex.Parse(wrapped[1..], "pin under LMK");
        int length = payload.Length - NonceBytes - TagBytes;
        if (length is < 4 or > 12) throw new SecurityInputException("pin under LMK: malformed");
        Span<byte> clear = stackalloc byte[12];
        try
        {
            lock (_gcm) _gcm.Decrypt(payload.AsSpan(0, NonceBytes), payload.AsSpan(NonceBytes, length), payload.AsSpan(NonceBytes + length), clear[..length], "P"u8);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecurityInputException("pin under LMK: not valid under this LMK");
        }
        for (int i = 0; i < length; i++) pin[i] = (char)clear[i];
        clear.Clear();
        return length;
    }

    /// <summary>Reads type, algorithm and total length from a key block header.</summary>
    public static (KeyType Type, KeyAlgorithm Algorithm, int Length) ParseHeader(ReadOnlySpan<char> block)
    {
        if (block.Length < 8 || block[0] != 'S' || !int.TryParse(block.Slice(1, 4), NumberStyles.None, CultureInfo.InvariantCulture, out int length))
        {
            throw new SecurityInputException("key block: not a Switch LMK key block (expected 'S' and a 4-digit length)");
        }
        KeyType type = ParseTypeCode(block.Slice(5, 2));
        KeyAlgorithm algorithm = block[7] switch
        {
            'T' => KeyAlgorithm.Tdes,
            'A' => KeyAlgorithm.Aes,
            _ => throw new SecurityInputException("key block: unknown algorithm code"),
        };
        return (type, algorithm, length);
    }

    /// <summary>Two-character code for a key type in key block headers.</summary>
    public static string TypeCode(KeyType type) => type switch
    {
        KeyType.Zmk => "ZM", KeyType.Zpk => "ZP", KeyType.Tpk => "TP", KeyType.Pvk => "PV", KeyType.Cvk => "CV",
        KeyType.Tak => "TA", KeyType.Zak => "ZA", KeyType.Bdk => "BD", KeyType.ImkAc => "IA", _ => "GN",
    };

    private static KeyType ParseTypeCode(ReadOnlySpan<char> code)
    {
        foreach (KeyType t in Enum.GetValues<KeyType>())
        {
            if (code.SequenceEqual(TypeCode(t))) return t;
        }
        throw new SecurityInputException("key block: unknown key type code");
    }

    /// <summary>Releases the AES-GCM context.</summary>
    public void Dispose() => _gcm.Dispose();
}
