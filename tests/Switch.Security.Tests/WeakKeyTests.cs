using Switch.Security.Backends.PayShield;
using Switch.Security.Keys;
using Switch.Simulators.Hsm;

namespace Switch.Security.Tests;

/// <summary>Weak, semi-weak and single-DES-strength TDES keys are refused with one clear line, as an HSM refuses them.</summary>
public sealed class WeakKeyTests
{
    private static readonly string[] WeakAndSemiWeak =
    [
        "0101010101010101", "FEFEFEFEFEFEFEFE", "E0E0E0E0F1F1F1F1", "1F1F1F1F0E0E0E0E",
        "011F011F010E010E", "1F011F010E010E01", "01E001E001F101F1", "E001E001F101F101",
        "01FE01FE01FE01FE", "FE01FE01FE01FE01", "1FE01FE00EF10EF1", "E01FE01FF10EF10E",
        "1FFE1FFE0EFE0EFE", "FE1FFE1FFE0EFE0E", "E0FEE0FEF1FEF1FE", "FEE0FEE0FEF1FEF1",
    ];

    private const string Good = "0123456789ABCDEFFEDCBA9876543210";

    public static TheoryData<string> WeakParts => [.. WeakAndSemiWeak];

    [Theory]
    [MemberData(nameof(WeakParts))]
    public void Each_weak_or_semi_weak_DES_key_is_refused_in_either_half_whatever_its_parity_bits(string part)
    {
        string flipped = Convert.ToHexString([.. Convert.FromHexString(part).Select(b => (byte)(b ^ 1))]);
        foreach (string key in new[] { part + "89ABCDEF01234567", "89ABCDEF01234567" + part, flipped + "89ABCDEF01234567" })
        {
            var ex = Assert.Throws<SecurityInputException>(() => WeakKeys.Refuse(KeyAlgorithm.Tdes, Convert.FromHexString(key), "key"));
            Assert.Contains("weak or semi-weak", ex.Message, StringComparison.Ordinal);
            Assert.Equal(SecurityInputProblem.Key, ex.Problem);
        }
    }

    [Theory]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", "both halves")]
    [InlineData("0123456789ABCDEF0023456789ABCDEE", "both halves")] // equal once parity bits are ignored
    [InlineData("0123456789ABCDEF23456789ABCDEF0123456789ABCDEF01", "second and third")]
    public void A_TDES_key_of_single_DES_strength_is_refused(string key, string expected)
    {
        var ex = Assert.Throws<SecurityInputException>(() => WeakKeys.Refuse(KeyAlgorithm.Tdes, Convert.FromHexString(key), "key"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Good)]
    [InlineData("0123456789ABCDEFFEDCBA98765432100123456789ABCDEF")] // K1 = K3: two-key TDES in triple form, allowed
    public void A_proper_TDES_key_is_accepted(string key) => WeakKeys.Refuse(KeyAlgorithm.Tdes, Convert.FromHexString(key), "key");

    [Fact]
    public void AES_keys_are_not_judged_by_DES_rules() =>
        WeakKeys.Refuse(KeyAlgorithm.Aes, Convert.FromHexString("01010101010101010101010101010101"), "key");

    [Fact]
    public async Task Clear_key_import_refuses_a_weak_key_on_the_software_and_payShield_back_ends()
    {
        await using var soft = SoftwareModule.Create();
        await Assert.ThrowsAsync<SecurityInputException>(async () => await soft.KeyAsync(KeyType.Zpk, "0101010101010101FEFEFEFEFEFEFEFE"));
        await using var f = PayShieldFixture.Start();
        await Assert.ThrowsAsync<SecurityInputException>(async () => await f.Module.KeyAsync(KeyType.Zpk, "0123456789ABCDEF0123456789ABCDEF"));
    }

    [Fact]
    public void Key_import_from_components_refuses_a_weak_combined_key_and_stores_nothing()
    {
        using var dir = new TempDir();
        using var lmk = Lmk.Create(dir.Path);
        var store = new FileKeyStore(dir.Path);
        byte[] c1 = Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF"), c2 = Convert.FromHexString("FEDCBA9876543210FEDCBA9876543210");
        var ex = Assert.Throws<SecurityInputException>(() => new KeyImport(lmk, store).FromComponents("zpk1", KeyType.Zpk, KeyAlgorithm.Tdes, [c1, c2], "000000"));
        Assert.StartsWith("key: a weak or semi-weak DES key", ex.Message, StringComparison.Ordinal);
        Assert.Empty(store.List());
    }

    [Theory]
    [InlineData("software")]
    [InlineData("pkcs11")]
    [InlineData("payshield")]
    public void Switch_crypto_refuses_a_weak_key_with_one_line_and_exit_1(string backend)
    {
        var result = CliRunner.Run(["crypto", "kcv", "--key", "0101010101010101FEDCBA9876543210", "--alg", "tdes", "--backend", backend],
            unset: ["SWITCH_PKCS11_TOKEN", "SWITCH_PKCS11_PIN", "SWITCH_PKCS11_MODULE", "SOFTHSM2_CONF"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: key: a weak or semi-weak DES key (part 1); an HSM refuses it", result.Stderr.Trim());
    }
}
