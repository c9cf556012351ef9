using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;

namespace Switch.Security.Tests;

/// <summary>MAC, CVV and EMV verification outcomes on the software back end.</summary>
public sealed class MacAndCardTests
{
    [Fact]
    public async Task MAC_verification_accepts_the_right_MAC_and_rejects_tampered_data()
    {
        await using var m = SoftwareModule.Create();
        using var zak = await m.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        byte[] data = Convert.FromHexString("962EAA2CE763");
        byte[] mac = Convert.FromHexString("824F270ABC8B3D87");
        Assert.True(await m.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, mac, TestTimeout.Token));
        Assert.True(await m.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, mac.AsMemory(0, 4), TestTimeout.Token));
        data[0] ^= 1;
        Assert.False(await m.VerifyMacAsync(zak, MacAlgorithm.Iso9797Alg3, MacPadding.Method2, data, mac, TestTimeout.Token));
    }

    [Fact]
    public async Task A_MAC_key_of_the_wrong_algorithm_is_refused()
    {
        await using var m = SoftwareModule.Create();
        using var tdes = await m.KeyAsync(KeyType.Zak, "C99DC32C25B6260190036CD97EDB88DD");
        await Assert.ThrowsAsync<SecurityInputException>(async () => await m.GenerateMacAsync(tdes, MacAlgorithm.AesCmac, MacPadding.Method1, new byte[4], new byte[16], TestTimeout.Token));
    }

    [Fact]
    public async Task CVV_verification_accepts_the_right_value_and_rejects_a_wrong_one()
    {
        await using var m = SoftwareModule.Create();
        using var cvk = await m.KeyAsync(KeyType.Cvk, "98E99D4AA9BBB30476373827551E3179");
        Assert.True(await m.VerifyCvvAsync(cvk, "4642711594932", "2604", "201", "668", TestTimeout.Token));
        Assert.False(await m.VerifyCvvAsync(cvk, "4642711594932", "2604", "201", "667", TestTimeout.Token));
    }

    [Fact]
    public async Task ARQC_verification_accepts_the_vector_and_rejects_a_changed_cryptogram()
    {
        await using var m = SoftwareModule.Create();
        using var imk = await m.KeyAsync(KeyType.ImkAc, "52B05236F911C9AA89AFFFBE5C87570B");
        var card = EmvCryptograms.Context("4817826577541082", "00", Convert.FromHexString("9165"), Convert.FromHexString("84A59F9A"));
        byte[] data = Convert.FromHexString("1D419D79DFD1F017253B86D7FA66232B2F9AB7393489868CBD7043B0DAB3EEF5DD2D9FFB83");
        byte[] arqc = Convert.FromHexString("01A92EB0172C1683");
        Assert.True(await m.VerifyArqcAsync(imk, EmvScheme.EmvCsk, card, data, arqc, TestTimeout.Token));
        arqc[7] ^= 0x80;
        Assert.False(await m.VerifyArqcAsync(imk, EmvScheme.EmvCsk, card, data, arqc, TestTimeout.Token));
    }

    [Fact]
    public async Task ARPC_method_2_is_four_bytes_and_depends_on_the_CSU()
    {
        await using var m = SoftwareModule.Create();
        using var imk = await m.KeyAsync(KeyType.ImkAc, "52B05236F911C9AA89AFFFBE5C87570B");
        var card = EmvCryptograms.Context("4817826577541082", "00", Convert.FromHexString("9165"), Convert.FromHexString("84A59F9A"));
        byte[] arqc = Convert.FromHexString("01A92EB0172C1683");
        byte[] a = await m.GenerateArpcMethod2Async(imk, EmvScheme.EmvCsk, card, arqc, Convert.FromHexString("00820000"), Array.Empty<byte>(), TestTimeout.Token);
        byte[] b = await m.GenerateArpcMethod2Async(imk, EmvScheme.EmvCsk, card, arqc, Convert.FromHexString("00010000"), Array.Empty<byte>(), TestTimeout.Token);
        Assert.Equal(4, a.Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Concurrent_MAC_verifications_on_one_key_all_succeed()
    {
        await using var m = SoftwareModule.Create();
        using var zak = await m.KeyAsync(KeyType.Zak, "6BB9975F66878622CF0522B310C7BAE4", KeyAlgorithm.Aes);
        byte[] data = Convert.FromHexString("4504FB708494A8D989DDB14A3E0DAC8D5BB83AF9B74EADEE");
        byte[] mac = Convert.FromHexString("60AA5C8E84CE0033D6BDFB08BAAD5D6F");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 2000; i++)
            {
                if (!await m.VerifyMacAsync(zak, MacAlgorithm.AesCmac, MacPadding.Method1, data, mac, TestTimeout.Token)) return false;
            }
            return true;
        })));
        Assert.All(results, Assert.True);
    }
}
