using System.Security.Cryptography;
using System.Text;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Pan;

namespace Switch.Journal.Tests;

public sealed class PanProtectionTests
{
    [Fact]
    public void The_hash_is_hmac_sha256_of_the_digits_under_the_hash_key()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var p = new PanProtector(key, RandomNumberGenerator.GetBytes(32));
        Assert.Equal(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(SampleEvents.TestPan)), p.Hash(SampleEvents.TestPan));
        Assert.Equal(p.Hash(SampleEvents.TestPan), p.Hash(SampleEvents.TestPan));
        Assert.NotEqual(p.Hash(SampleEvents.TestPan), p.Hash("4761739001010028"));
    }

    [Fact]
    public void Encryption_round_trips_and_uses_a_fresh_nonce_each_time()
    {
        using var p = new PanProtector(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        byte[] a = p.Encrypt(SampleEvents.TestPan);
        byte[] b = p.Encrypt(SampleEvents.TestPan);
        Assert.NotEqual(a, b);
        Assert.Equal(PanProtector.EncryptedLength(16), a.Length);
        Span<char> clear = stackalloc char[19];
        int n = p.Decrypt(a, clear);
        Assert.True(clear[..n].SequenceEqual(SampleEvents.TestPan));
    }

    [Fact]
    public void A_tampered_or_foreign_ciphertext_is_refused()
    {
        using var p = new PanProtector(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        using var other = new PanProtector(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        byte[] a = p.Encrypt(SampleEvents.TestPan);
        a[15] ^= 1;
        char[] clear = new char[19];
        Assert.ThrowsAny<CryptographicException>(() => p.Decrypt(a, clear));
        Assert.ThrowsAny<CryptographicException>(() => other.Decrypt(p.Encrypt(SampleEvents.TestPan), clear));
        Assert.ThrowsAny<CryptographicException>(() => p.Decrypt(new byte[5], clear));
    }

    [Fact]
    public void Bad_keys_and_non_digit_pans_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PanProtector(new byte[16], new byte[32]));
        Assert.Throws<ArgumentException>(() => new PanProtector(new byte[32], new byte[16]));
        using var p = new PanProtector(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        Assert.Throws<ArgumentException>(() => p.Hash("4761-7390-0101"));
        Assert.Throws<ArgumentException>(() => p.Encrypt("1234567"));
    }

    [Fact]
    public void The_encoded_event_never_holds_the_clear_pan_in_ascii_or_bcd()
    {
        byte[] bytes = JournalEventCodec.Encode(new EventId(1, 1), SampleEvents.Approval("txn-pan"));
        byte[] ascii = Encoding.ASCII.GetBytes(SampleEvents.TestPan);
        byte[] bcd = Convert.FromHexString(SampleEvents.TestPan);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(ascii));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(bcd));
        Assert.Equal("476173******0010", JournalEventCodec.Decode(bytes).Event.PanMasked);
    }
}
