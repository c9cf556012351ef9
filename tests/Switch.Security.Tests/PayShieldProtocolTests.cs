using System.Net.Sockets;
using Switch.Security.Backends.PayShield;
using Switch.Security.Keys;

using Switch.Simulators.Hsm;

namespace Switch.Security.Tests;

/// <summary>The simulator's host commands at the wire level: layouts, error codes and robustness.</summary>
public sealed class PayShieldProtocolTests
{
    [Fact]
    public async Task NC_returns_the_LMK_check_value_and_firmware()
    {
        await using var f = PayShieldFixture.Start();
        await using var client = new PayShieldClient(new PayShieldClientOptions { Port = f.Simulator.Port });
        string response = await client.SendAsync("NC", default);
        Assert.StartsWith("ND00" + f.Lmk.CheckValue, response, StringComparison.Ordinal);
        Assert.Equal(4 + 16 + 9, response.Length);
    }

    [Fact]
    public async Task A0_generates_a_key_under_the_LMK_and_exports_it_under_a_ZMK()
    {
        await using var f = PayShieldFixture.Start();
        await using var client = new PayShieldClient(new PayShieldClientOptions { Port = f.Simulator.Port });
        string zmk = f.Lmk.Wrap(KeyType.Zmk, KeyAlgorithm.Tdes, Convert.FromHexString("111111111111111101326754CDFEAB98"));
        string response = await client.SendAsync("A01001S;0" + zmk, default);
        Assert.StartsWith("A100", response, StringComparison.Ordinal);
        var reader = new PayShieldReader(response, 4);
        string underLmk = reader.TakeKey();
        Assert.Equal("X", reader.Take(1));
        byte[] underZmk = Convert.FromHexString(reader.Take(32));
        string kcv = reader.Take(6);
        Assert.True(reader.AtEnd);

        // Both forms hold the same key: unwrap one, decipher the other, compare KCVs.
        var clear = new byte[32];
        int n = f.Lmk.Unwrap(underLmk, clear, out KeyType type, out _);
        Assert.Equal(KeyType.Zpk, type);
        Assert.Equal(kcv, KeyImport.CheckValue(KeyAlgorithm.Tdes, clear.AsSpan(0, n)));
        var engine = new Backends.Software.SoftwareCipherEngine();
        using var zmkKey = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString("111111111111111101326754CDFEAB98"));
        var deciphered = new byte[16];
        engine.DecryptEcb(zmkKey, Backends.KeyPart.Whole, underZmk, deciphered);
        Assert.Equal(kcv, KeyImport.CheckValue(KeyAlgorithm.Tdes, deciphered));
    }

    [Theory]
    [InlineData(false, "ZD00")]
    [InlineData(true, "ZDZZ")]
    public async Task ZC_returns_the_four_DUKPT_keys_only_when_test_commands_are_on(bool productionCommandsOnly, string expected)
    {
        await using var f = PayShieldFixture.Start(productionCommandsOnly: productionCommandsOnly);
        await using var client = new PayShieldClient(new PayShieldClientOptions { Port = f.Simulator.Port });
        string bdk = f.Lmk.Wrap(KeyType.Bdk, KeyAlgorithm.Tdes, Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210"));
        string response = await client.SendAsync("ZC" + bdk + "FFFF9876543210E00000", default);
        Assert.StartsWith(expected, response, StringComparison.Ordinal);
        if (productionCommandsOnly)
        {
            Assert.Equal(4, response.Length);
            return;
        }
        Assert.Equal(4 + 4 * 32, response.Length);
        Assert.Equal("6AC292FAA1315B4D858AB3A3D7D5933A", response.Substring(4, 32)); // X9.24-1 IPEK
    }

    [Theory]
    [InlineData("XX", "XY", "ZZ")]
    [InlineData("BUFF1", "BV", "15")]
    [InlineData("BUFF1U0123", "BV", "26")]
    [InlineData("CW", "CX", "15")]
    public async Task Bad_commands_get_an_error_code_and_the_connection_stays_usable(string command, string responseCode, string error)
    {
        await using var f = PayShieldFixture.Start();
        await using var client = new PayShieldClient(new PayShieldClientOptions { Port = f.Simulator.Port });
        Assert.Equal(responseCode + error, await client.SendAsync(command, default));
        Assert.StartsWith("ND00", await client.SendAsync("NC", default), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_frame_closes_only_that_connection()
    {
        await using var f = PayShieldFixture.Start();
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync("127.0.0.1", f.Simulator.Port);
            var stream = raw.GetStream();
            await stream.WriteAsync(new byte[] { 0xFF, 0xFF, (byte)'0', (byte)'0' });
            var buffer = new byte[16];
            int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(0, read);
        }
        await using var client = new PayShieldClient(new PayShieldClientOptions { Port = f.Simulator.Port });
        Assert.StartsWith("ND00", await client.SendAsync("NC", default), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout()
    {
        using var lmk = Lmk.Generate();
        await using var sim = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions { IdleTimeoutMs = 200 });
        sim.Start();
        using var raw = new TcpClient();
        await raw.ConnectAsync("127.0.0.1", sim.Port);
        int read = await raw.GetStream().ReadAsync(new byte[4]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, read);
    }
}
