using Net.Pkcs11Interop.Common;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Security.Tests;

/// <summary>AES DUKPT PIN translation on the token derives every key inside it and leaves no objects behind.</summary>
[Collection("softhsm")]
public sealed class DukptInTokenTests(SoftHsmToken token)
{
    private const string Pan = "4012345678909";
    private const string ZpkHex = "022BB21ECDE7A47F621FA7A97FD1676C";

    [Fact]
    public void The_token_derives_by_encryption_but_cannot_XOR_a_key_with_data_which_TDES_DUKPT_would_need()
    {
        Assert.True(token.Engine.Supports(CKM.CKM_AES_ECB_ENCRYPT_DATA));
        Assert.True(token.Engine.Supports(CKM.CKM_DES3_ECB_ENCRYPT_DATA));
        Assert.False(token.Engine.Supports(CKM.CKM_XOR_BASE_AND_DATA));
    }

    [Theory]
    [InlineData("FEDCBA9876543210F1F1F1F1F1F1F1F1", "123456789012345600000001")]
    [InlineData("FEDCBA9876543210F1F1F1F1F1F1F1F1", "1234567890123456000A5F03")]
    [InlineData("FEDCBA9876543210F1F1F1F1F1F1F1F10123456789ABCDEF", "123456789012345600000007")]
    [InlineData("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1", "1234567890123456000000FF")]
    public async Task An_AES_DUKPT_PIN_block_translates_on_the_token_as_on_the_software_back_end(string bdkHex, string ksnHex)
    {
        byte[] ksn = Convert.FromHexString(ksnHex);
        await using var soft = SoftwareModule.Create();
        using var softBdk = await soft.KeyAsync(KeyType.Bdk, bdkHex, KeyAlgorithm.Aes);
        DukptAesKeys keys = await soft.DeriveDukptAesAsync(softBdk, bdkHex.Length / 2, ksn, TestTimeout.Token);
        using var pinKey = await soft.KeyAsync(KeyType.Tpk, Convert.ToHexString(keys.PinKey), KeyAlgorithm.Aes);
        byte[] block = await soft.EncodePinBlock4Async(pinKey, "482913", Pan, TestTimeout.Token);
        using var softZpk = await soft.KeyAsync(KeyType.Zpk, ZpkHex);

        await using var module = token.Module();
        using var bdk = await module.KeyAsync(KeyType.Bdk, bdkHex, KeyAlgorithm.Aes);
        using var zpk = await module.KeyAsync(KeyType.Zpk, ZpkHex);
        int before = token.Engine.SecretKeyObjectCount();
        var output = new byte[16];
        int n = await module.TranslateDukptPinAsync(bdk, ksn, PinBlockFormat.Iso4, block, Pan, zpk, PinBlockFormat.Iso0, output, TestTimeout.Token);
        // Every intermediate key was a token session object, destroyed after use.
        Assert.Equal(before, token.Engine.SecretKeyObjectCount());
        Assert.Equal("482913", await soft.RevealPinAsync(new EncryptedPinBlock(softZpk, PinBlockFormat.Iso0, output.AsMemory(0, n)), Pan, TestTimeout.Token));
    }
}
