using Switch.Core.MasterData;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>The terminal's MAC: over the encoded message from the MTI to the byte before the MAC, checked independently.</summary>
public sealed class PosMacTests
{
    private static string TakHex => DemoDataSet.All.Keys.Single(k => k.Name == "demo-tak").ClearHex;

    /// <summary>The MAC recomputed from the bytes with the cipher engine directly (not through the simulator's code path).</summary>
    private static byte[] Recompute(byte[] encoded)
    {
        using var engine = new SoftwareCipherEngine();
        using var key = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString(TakHex));
        var mac = new byte[8];
        MacComputer.Compute(engine, key, MacAlgorithm.Iso9797Alg3, MacPadding.Method1, encoded.AsSpan(0, encoded.Length - 8), mac);
        return mac;
    }

    private static async Task<PosTerminal> TerminalAsync(int port = 1) =>
        await Task.FromResult(new PosTerminal(new PosTerminalOptions { Port = port, TerminalId = "TERM0001", PinKey = DemoKeys.IssuerZpkName }));

    [Fact]
    public async Task TERM0001_requests_carry_a_DE64_MAC_that_verifies_over_the_encoded_message()
    {
        await using var pos = await TerminalAsync();
        Assert.True(pos.MacRequired);
        var m = await pos.BuildAsync(SimPair.Purchase(1000), Timeouts.Token());
        byte[] encoded = pos.Spec.Encode(m);
        Assert.True(m.Has(64));
        Assert.Equal(Recompute(encoded), m.GetBinary(64).ToArray());
        Assert.Equal(encoded[^8..], m.GetBinary(64).ToArray());
    }

    [Fact]
    public async Task A_tampered_message_or_a_bad_MAC_fault_does_not_verify()
    {
        await using var pos = await TerminalAsync();
        var m = await pos.BuildAsync(SimPair.Purchase(1000), Timeouts.Token());
        m.Set(4, "000000009999");
        byte[] tampered = pos.Spec.Encode(m);
        Assert.NotEqual(Recompute(tampered), tampered[^8..]);
        var tx = SimPair.Purchase(1000);
        tx.Fault = PosFault.BadMac;
        var bad = await pos.BuildAsync(tx, Timeouts.Token());
        byte[] badBytes = pos.Spec.Encode(bad);
        Assert.NotEqual(Recompute(badBytes), badBytes[^8..]);
    }

    [Fact]
    public async Task The_no_MAC_fault_leaves_DE64_out_and_TERM0002_never_sends_one()
    {
        await using var pos = await TerminalAsync();
        var tx = SimPair.Purchase(1000);
        tx.Fault = PosFault.NoMac;
        Assert.False((await pos.BuildAsync(tx, Timeouts.Token())).Has(64));
        await using var plain = new PosTerminal(new PosTerminalOptions { Port = 1, TerminalId = "TERM0002" });
        Assert.False(plain.MacRequired);
        Assert.False((await plain.BuildAsync(SimPair.Purchase(1000), Timeouts.Token())).Has(64));
    }

    [Fact]
    public async Task A_reversal_has_a_secondary_bitmap_so_its_MAC_is_in_DE128_and_verifies()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal("TERM0001");
        await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        var x = await pos.ReverseLastAsync(null, Timeouts.Token());
        Assert.True(x.Request.Has(90));
        Assert.True(x.Request.Has(128));
        Assert.False(x.Request.Has(64));
        Assert.Equal(Recompute(x.RequestBytes), x.Request.GetBinary(128).ToArray());
    }

    [Fact]
    public async Task The_answer_MAC_is_verified_and_a_wrong_one_is_reported_invalid()
    {
        await using var crypto = new SimCrypto();
        using var tak = await crypto.ImportAsync(KeyType.Tak, TakHex, Timeouts.Token());
        var spec = SimWire.Spec(SimWire.DefaultSpec);
        var answer = spec.NewMessage("0210").Set(11, "000001").Set(39, "00").Set(41, "TERM0001");
        await crypto.ApplyMacAsync(answer, tak, Timeouts.Token());
        byte[] bytes = spec.Encode(answer);
        Assert.True(await crypto.VerifyMacAsync(spec.Decode(bytes), bytes, tak, Timeouts.Token()));
        bytes[^9] ^= 0x01; // the last character of DE 41
        Assert.False(await crypto.VerifyMacAsync(spec.Decode(bytes), bytes, tak, Timeouts.Token()));
    }

    [Fact]
    public async Task A_duplicate_is_the_same_bytes_with_the_same_DE7_and_DE11()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal("TERM0001");
        var first = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        var again = await pos.RepeatLastAsync(Timeouts.Token());
        Assert.Equal(first.RequestBytes, again.RequestBytes);
        Assert.Equal("00", again.ResponseCode);
        var seen = pair.Issuer.Log.OfMti("0200");
        Assert.Equal(2, seen.Count);
        Assert.Equal(seen[0].Stan, seen[1].Stan);
    }

    [Fact]
    public async Task STANs_advance_per_request_and_RRNs_end_with_the_STAN()
    {
        await using var pos = new PosTerminal(new PosTerminalOptions { Port = 1, TerminalId = "TERM0002", StanStart = 999_999 });
        var a = await pos.BuildAsync(SimPair.Purchase(1), Timeouts.Token());
        var b = await pos.BuildAsync(SimPair.Purchase(1), Timeouts.Token());
        Assert.Equal("999999", a.GetString(11));
        Assert.Equal("000001", b.GetString(11));
        Assert.EndsWith("000001", b.GetString(37), StringComparison.Ordinal);
        Assert.Equal(12, b.GetString(37)!.Length);
    }
}
