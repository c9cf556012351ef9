using Switch.Security.Backends.Software;
using Switch.Security.Dukpt;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;

namespace Switch.Security.Tests;

/// <summary>Published vectors from the standards, each with its source.</summary>
public sealed class StandardVectorTests
{
    // ANSI X9.24-1:2009 Annex A.4 (also in the 2004 edition): test BDK and initial KSN.
    private const string X924Bdk = "0123456789ABCDEFFEDCBA9876543210";

    [Fact]
    public async Task X9_24_1_IPEK_and_first_working_keys_match_the_published_values()
    {
        await using var m = SoftwareModule.Create();
        using var bdk = await m.KeyAsync(KeyType.Bdk, X924Bdk);
        var keys = await m.DeriveDukptTdesAsync(bdk, Convert.FromHexString("FFFF9876543210E00000"), TestTimeout.Token);
        Assert.Equal("6AC292FAA1315B4D858AB3A3D7D5933A", Convert.ToHexString(keys.Ipek));
        keys = await m.DeriveDukptTdesAsync(bdk, Convert.FromHexString("FFFF9876543210E00001"), TestTimeout.Token);
        Assert.Equal("042666B49184CF5C68DE9628D0397B36", Convert.ToHexString(keys.PinKey));
        Assert.Equal("042666B4918430A368DE9628D03984C9", Convert.ToHexString(keys.MacKey));
        Assert.Equal("448D3F076D8304036A55A3D7E0055A78", Convert.ToHexString(keys.DataKey));
    }

    [Theory]
    // ANSI X9.24-1:2009 Annex A.4, "current key" for the first transaction counters.
    [InlineData("FFFF9876543210E00001", "042666B49184CFA368DE9628D0397BC9")]
    [InlineData("FFFF9876543210E00002", "C46551CEF9FD24B0AA9AD834130D3BC7")]
    [InlineData("FFFF9876543210E00003", "0DF3D9422ACA56E547676D07AD6BADFA")]
    public void X9_24_1_transaction_keys_match_the_published_values(string ksn, string expected)
    {
        var engine = new SoftwareCipherEngine();
        using var bdk = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString(X924Bdk));
        var ipek = new byte[16];
        TdesDukpt.Ipek(engine, bdk, Convert.FromHexString(ksn), ipek);
        var key = new byte[16];
        TdesDukpt.TransactionKey(ipek, Convert.FromHexString(ksn), key);
        Assert.Equal(expected, Convert.ToHexString(key));
    }

    [Theory]
    // ANSI X9.24-1:2009 Annex A: PAN 4012345678909, PIN 1234, enciphered PIN blocks for the first KSNs.
    [InlineData("FFFF9876543210E00001", "1B9C1845EB993A7A")]
    [InlineData("FFFF9876543210E00002", "10A01C8D02C69107")]
    [InlineData("FFFF9876543210E00003", "18DC07B94797B466")]
    public async Task X9_24_1_example_PIN_blocks_translate_from_DUKPT_to_a_zone_key(string ksn, string block)
    {
        await using var m = SoftwareModule.Create();
        using var bdk = await m.KeyAsync(KeyType.Bdk, X924Bdk);
        using var zpk = await m.KeyAsync(KeyType.Zpk, "E12A6D7FBE5CC845ADCB0FD3FBA76A78");
        var output = new byte[8];
        int n = await m.TranslateDukptPinAsync(bdk, Convert.FromHexString(ksn), PinBlockFormat.Iso0,
            Convert.FromHexString(block), "4012345678909", zpk, PinBlockFormat.Iso0, output, TestTimeout.Token);
        Assert.Equal(8, n);
        Assert.Equal("1234", await m.RevealPinAsync(new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, output), "4012345678909", TestTimeout.Token));
    }

    [Theory]
    // RFC 4493 section 4, AES-128 key 2B7E151628AED2A6ABF7158809CF4F3C, examples 1-4.
    [InlineData("", "BB1D6929E95937287FA37D129B756746")]
    [InlineData("6BC1BEE22E409F96E93D7E117393172A", "070A16B46B4D4144F79BDD9DD04A287C")]
    [InlineData("6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411", "DFA66747DE9AE63030CA32611497C827")]
    [InlineData("6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710", "51F0BEBF7E3B9D92FC49741779363CFE")]
    public async Task RFC_4493_AES_CMAC_examples_match(string message, string expected)
    {
        await using var m = SoftwareModule.Create();
        using var key = await m.KeyAsync(KeyType.Tak, "2B7E151628AED2A6ABF7158809CF4F3C", KeyAlgorithm.Aes);
        var mac = new byte[16];
        int n = await m.GenerateMacAsync(key, MacAlgorithm.AesCmac, MacPadding.Method1, Convert.FromHexString(message), mac, TestTimeout.Token);
        Assert.Equal(expected, Convert.ToHexString(mac, 0, n));
    }

    [Theory]
    // NIST SP 800-38B, appendix D.4 (three-key TDEA) examples.
    [InlineData("8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5", "", "B7A688E122FFAF95")]
    [InlineData("8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5", "6BC1BEE22E409F96", "8E8F293136283797")]
    [InlineData("8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5", "6BC1BEE22E409F96E93D7E117393172AAE2D8A57", "743DDBE0CE2DC2ED")]
    [InlineData("8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5", "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51", "33E6B1092400EAE5")]
    // NIST SP 800-38B, appendix D.5 (two-key TDEA, K3 = K1) examples.
    [InlineData("4CF15134A2850DD58A3D10BA80570D38", "", "BD2EBF9A3BA00361")]
    [InlineData("4CF15134A2850DD58A3D10BA80570D38", "6BC1BEE22E409F96", "4FF2AB813C53CE83")]
    [InlineData("4CF15134A2850DD58A3D10BA80570D38", "6BC1BEE22E409F96E93D7E117393172AAE2D8A57", "62DD1B471902BD4E")]
    [InlineData("4CF15134A2850DD58A3D10BA80570D38", "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51", "31B1E431DABC4EB8")]
    public async Task NIST_SP_800_38B_TDES_CMAC_examples_match(string key, string message, string expected)
    {
        await using var m = SoftwareModule.Create();
        using var k = await m.KeyAsync(KeyType.Tak, key);
        var mac = new byte[8];
        await m.GenerateMacAsync(k, MacAlgorithm.TdesCmac, MacPadding.Method1, Convert.FromHexString(message), mac, TestTimeout.Token);
        Assert.Equal(expected, Convert.ToHexString(mac));
    }

    // ANSI X9.24-3:2017 supplement test vectors for the AES-128 BDK (as reproduced in openemv/dukpt test/dukpt_aes128_test.c).
    private const string AesBdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";

    [Fact]
    public void X9_24_3_AES128_initial_key_matches_the_published_value()
    {
        var engine = new SoftwareCipherEngine();
        using var bdk = engine.Import(KeyAlgorithm.Aes, Convert.FromHexString(AesBdk));
        var ik = new byte[16];
        AesDukpt.InitialKey(engine, bdk, 16, Convert.FromHexString("123456789012345600000001"), ik);
        Assert.Equal("1273671EA26AC29AFA4D1084127652A1", Convert.ToHexString(ik));
    }

    [Theory]
    [InlineData("123456789012345600000001", "4F21B565BAD9835E112B6465635EAE44")]
    [InlineData("123456789012345600000002", "2F34D68DE10F68D38091A73B9E7C437C")]
    [InlineData("123456789012345600000008", "718EE6CF0B27E53D5F7AF99C4D8146A2")]
    [InlineData("12345678901234560001FFFE", "E21E8C8D347F8561A2BE752DAA85A111")]
    [InlineData("123456789012345600020000", "F7AE9025468A25D37B7249CFFED224C8")]
    [InlineData("1234567890123456FFFF0000", "F6BA59389BD14A9855BE9727E7C52E3C")]
    public void X9_24_3_AES128_transaction_keys_match_the_published_values(string ksn, string expected)
    {
        var ik = Convert.FromHexString("1273671EA26AC29AFA4D1084127652A1");
        var key = new byte[16];
        AesDukpt.DerivationKey(ik, Convert.FromHexString(ksn), key);
        Assert.Equal(expected, Convert.ToHexString(key));
    }

    [Theory]
    // ANSI X9.24-3-2017 test vectors (X9 "X9.24-3-2017 Test Vectors", 2018-01-29): AES-128 BDK, working keys.
    [InlineData("123456789012345600000001", "AF8CB133A78F8DC2D1359F18527593FB", "A2DC23DE6FDE0824A2BC321E08E4B8B7", "A35C412EFD41FDB98B69797C02DCD08F")]
    [InlineData("123456789012345600000008", "4D9DF3FBEE3448FC3E676D04320A90F5", "6FD572E5D59E618875F193484F9178FB", "650F34204ABD4E57764D61AC3D266FB1")]
    public async Task X9_24_3_AES128_working_keys_match_the_published_values(string ksn, string pin, string mac, string data)
    {
        await using var m = SoftwareModule.Create();
        using var bdk = await m.KeyAsync(KeyType.Bdk, AesBdk, KeyAlgorithm.Aes);
        var keys = await m.DeriveDukptAesAsync(bdk, 16, Convert.FromHexString(ksn), TestTimeout.Token);
        Assert.Equal("1273671EA26AC29AFA4D1084127652A1", Convert.ToHexString(keys.InitialKey));
        Assert.Equal(pin, Convert.ToHexString(keys.PinKey));
        Assert.Equal(mac, Convert.ToHexString(keys.MacGenerationKey));
        Assert.Equal(data, Convert.ToHexString(keys.DataKey));
    }

    [Theory]
    // ANSI X9.24-3:2017 supplement test vectors for the AES-256 BDK (as reproduced in openemv/dukpt test/dukpt_aes256_test.c).
    [InlineData("123456789012345600000001", "54AC2B32B145EA4A554CB8BC44B17467063A799856B1CCC2A138D36E8DBF78B3")]
    [InlineData("1234567890123456FFFF0000", "6D6DB7AAAE8B3EA90E57A39E4BBA71E173B21B446B30A78D64BFC6A8806C55EE")]
    public void X9_24_3_AES256_initial_and_transaction_keys_match_the_published_values(string ksn, string expected)
    {
        var engine = new SoftwareCipherEngine();
        using var bdk = engine.Import(KeyAlgorithm.Aes, Convert.FromHexString(AesBdk + AesBdk));
        var ik = new byte[32];
        AesDukpt.InitialKey(engine, bdk, 32, Convert.FromHexString(ksn), ik);
        Assert.Equal("CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F", Convert.ToHexString(ik));
        var key = new byte[32];
        AesDukpt.DerivationKey(ik, Convert.FromHexString(ksn), key);
        Assert.Equal(expected, Convert.ToHexString(key));
    }

    [Fact]
    public async Task Visa_CVV_classic_example_gives_561()
    {
        // The Visa CVV worked example: CVK-A 0123456789ABCDEF, CVK-B FEDCBA9876543210, PAN 4123456789012345, expiry 8701, service code 101.
        await using var m = SoftwareModule.Create();
        using var cvk = await m.KeyAsync(KeyType.Cvk, "0123456789ABCDEFFEDCBA9876543210");
        Assert.Equal("561", await m.GenerateCvvAsync(cvk, "4123456789012345", "8701", "101", TestTimeout.Token));
    }
}
