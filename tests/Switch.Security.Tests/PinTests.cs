using FsCheck;
using FsCheck.Fluent;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Security.Tests;

/// <summary>PIN translation and verification on the software back end.</summary>
public sealed class PinTests
{
    private const string Pan = "4690592981884714";
    private const string Zpk1 = "FD2C1F8DD5950801F97896E143A544D3", Zpk2 = "022BB21ECDE7A47F621FA7A97FD1676C";

    private static async Task<byte[]> EncryptAsync(ISecurityTooling m, SecureKey key, string pin, string pan, PinBlockFormat format)
    {
        // Build a block by translating from a throwaway key: the module API never accepts a clear PIN for a block.
        var clear = new byte[8];
        PinBlock.Encode(PinBlockFormat.Iso0, pin, pan, clear);
        using var temp = await m.KeyAsync(KeyType.Zpk, "0123456789ABCDEFFEDCBA9876543210");
        var engine = new Backends.Software.SoftwareCipherEngine();
        using var h = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210"));
        var enc = new byte[8];
        engine.EncryptEcb(h, Backends.KeyPart.Whole, clear, enc);
        var output = new byte[16];
        int n = await m.TranslatePinAsync(new EncryptedPinBlock(temp, PinBlockFormat.Iso0, enc), pan, key, format, output, TestTimeout.Token);
        return output[..n];
    }

    [Fact]
    public void Translating_any_PIN_between_zone_keys_and_formats_keeps_the_PIN()
    {
        Prop.ForAll(Gen.Choose(4, 12).SelectMany(len => Gen.ArrayOf(Gen.Choose(0, 9), len)).ToArbitrary(), digits =>
        {
            string pin = string.Concat(digits);
            return Task.Run(async () =>
            {
                await using var m = SoftwareModule.Create();
                using var a = await m.KeyAsync(KeyType.Zpk, Zpk1);
                using var b = await m.KeyAsync(KeyType.Zpk, Zpk2);
                using var aes = await m.KeyAsync(KeyType.Zpk, "2DCFF37ABE108964E28FEE514E30FC18", KeyAlgorithm.Aes);
                byte[] block0 = await EncryptAsync(m, a, pin, Pan, PinBlockFormat.Iso0);
                var out3 = new byte[8];
                await m.TranslatePinAsync(new EncryptedPinBlock(a, PinBlockFormat.Iso0, block0), Pan, b, PinBlockFormat.Iso3, out3, TestTimeout.Token);
                var out4 = new byte[16];
                await m.TranslatePinAsync(new EncryptedPinBlock(b, PinBlockFormat.Iso3, out3), Pan, aes, PinBlockFormat.Iso4, out4, TestTimeout.Token);
                var out1 = new byte[8];
                await m.TranslatePinAsync(new EncryptedPinBlock(aes, PinBlockFormat.Iso4, out4), Pan, a, PinBlockFormat.Iso1, out1, TestTimeout.Token);
                return await m.RevealPinAsync(new EncryptedPinBlock(a, PinBlockFormat.Iso1, out1), null, TestTimeout.Token) == pin;
            }).GetAwaiter().GetResult();
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task PVV_verification_accepts_the_right_PIN_and_rejects_a_wrong_one()
    {
        await using var m = SoftwareModule.Create();
        using var zpk = await m.KeyAsync(KeyType.Zpk, Zpk1);
        using var pvk = await m.KeyAsync(KeyType.Pvk, "F855F2E949E92BCFC4B39887613BB3EA");
        const string pan = "5400805092626701";
        Assert.Equal("9052", await m.GeneratePvvAsync(pvk, pan, "2694", 0, TestTimeout.Token));
        byte[] right = await EncryptAsync(m, zpk, "2694", pan, PinBlockFormat.Iso0);
        byte[] wrong = await EncryptAsync(m, zpk, "2695", pan, PinBlockFormat.Iso0);
        Assert.True(await m.VerifyPinPvvAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, right), pan, pvk, 0, "9052", TestTimeout.Token));
        Assert.False(await m.VerifyPinPvvAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, wrong), pan, pvk, 0, "9052", TestTimeout.Token));
    }

    [Fact]
    public async Task IBM_3624_verification_accepts_the_right_PIN_and_rejects_a_wrong_one()
    {
        await using var m = SoftwareModule.Create();
        using var zpk = await m.KeyAsync(KeyType.Zpk, Zpk1);
        using var pvk = await m.KeyAsync(KeyType.Pvk, "639F9348FFD26876F60EED56DD6A131F");
        const string pan = "4683517256651760";
        byte[] table = Convert.FromHexString("00010203040506070809000102030405");
        Assert.Equal("0797", await m.GenerateIbm3624OffsetAsync(pvk, "0299", table, 4, "51725665176", TestTimeout.Token));
        byte[] right = await EncryptAsync(m, zpk, "0299", pan, PinBlockFormat.Iso0);
        byte[] wrong = await EncryptAsync(m, zpk, "0298", pan, PinBlockFormat.Iso0);
        Assert.True(await m.VerifyPinIbm3624Async(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, right), pan, pvk, table, "51725665176", "0797", TestTimeout.Token));
        Assert.False(await m.VerifyPinIbm3624Async(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, wrong), pan, pvk, table, "51725665176", "0797", TestTimeout.Token));
    }

    [Fact]
    public async Task A_PIN_block_under_the_wrong_key_is_reported_as_bad_input()
    {
        await using var m = SoftwareModule.Create();
        using var a = await m.KeyAsync(KeyType.Zpk, Zpk1);
        using var b = await m.KeyAsync(KeyType.Zpk, Zpk2);
        byte[] block = await EncryptAsync(m, a, "1234", Pan, PinBlockFormat.Iso0);
        var ex = await Assert.ThrowsAsync<SecurityInputException>(async () => await m.TranslatePinAsync(new EncryptedPinBlock(b, PinBlockFormat.Iso0, block), Pan, a, PinBlockFormat.Iso0, new byte[8], TestTimeout.Token));
        Assert.Contains("wrong key", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("1234", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_of_the_wrong_type_is_refused()
    {
        await using var m = SoftwareModule.Create();
        using var cvk = await m.KeyAsync(KeyType.Cvk, Zpk1);
        using var zpk = await m.KeyAsync(KeyType.Zpk, Zpk2);
        await Assert.ThrowsAsync<SecurityInputException>(async () => await m.TranslatePinAsync(new EncryptedPinBlock(cvk, PinBlockFormat.Iso0, new byte[8]), Pan, zpk, PinBlockFormat.Iso0, new byte[8], TestTimeout.Token));
    }
}
