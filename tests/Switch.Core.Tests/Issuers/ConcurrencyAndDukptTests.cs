using Switch.Core.MasterData;
using Switch.Iso8583.Vocabulary;
using Switch.Security.Keys;

namespace Switch.Core.Tests.Issuers;

/// <summary>DUKPT terminals' PIN blocks, and many remote transactions at once.</summary>
public sealed class ConcurrencyAndDukptTests
{
    // ANSI X9.24-1 test BDK and KSN (TEST DATA, public test vectors).
    private const string TestBdk = "0123456789ABCDEFFEDCBA9876543210";
    private static readonly byte[] TestKsn = Convert.FromHexString("FFFF9876543210E00001");

    [Fact]
    public async Task A_dukpt_terminals_pin_block_is_translated_from_its_bdk_and_ksn_to_the_issuers_zpk()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        bed.ImportTestKey("test-bdk", KeyType.Bdk, TestBdk);
        var bdk = await bed.Keys.GetAsync("test-bdk", CancellationToken.None);
        var keys = await bed.Security.DeriveDukptTdesAsync(bdk, TestKsn, CancellationToken.None);
        byte[] block = IssuerTestbed.EncryptUnder(keys.PinKey, DemoDataSet.All.RemoteCard.Pin, DemoDataSet.All.RemoteCard.Pan);
        var terminal = IssuerTestbed.Terminal with { TpkRef = null, BdkRef = "test-bdk", KsnField = 53 };

        var decision = await bed.RunAsync(bed.Purchase(1_200, dukptBlock: block, ksn: TestKsn, terminal: terminal).Request);

        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.True(Assert.Single(bed.Issuer.Received).PinMatches, "the issuer could not decipher the DUKPT terminal's PIN under its ZPK");
    }

    [Fact]
    public async Task Two_hundred_remote_transactions_at_once_are_each_answered_with_their_own_switch_stan()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var requests = Enumerable.Range(0, 200).Select(i => bed.Purchase(100 + i).Request).ToList();
        var decisions = await Task.WhenAll(requests.Select(r => bed.RunAsync(r)));
        Assert.All(decisions, d => Assert.Equal(ResponseCode.Approved, d.ResponseCode));
        var legs = bed.Issuer.Received.Where(r => r.Mti == "0200").ToList();
        Assert.Equal(200, legs.Count);
        Assert.Equal(200, legs.Select(l => l.Stan).Distinct().Count());
        // Each answer is its own leg's: the amount the issuer echoed is the one the terminal sent.
        for (int i = 0; i < 200; i++)
            Assert.Equal(requests[i].Transaction.AmountMinor.ToString("D12", System.Globalization.CultureInfo.InvariantCulture), decisions[i].IssuerResponse!.GetString(4));
        Assert.Equal(200, bed.Gateway.RemoteTransactions);
    }
}
