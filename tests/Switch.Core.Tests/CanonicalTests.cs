using Switch.Core.MasterData;
using Switch.Core.Transactions;

namespace Switch.Core.Tests;

public sealed class CanonicalTests
{
    [Fact]
    public void Original_data_round_trips_and_refuses_other_lengths()
    {
        var original = new OriginalData("0200", "000123", "1204101112", "998877", "0");
        string de90 = original.Format();
        Assert.Equal("020000012312041011120000099887700000000000", de90);
        Assert.Equal(original with { AcquirerId = "00000998877", ForwardingId = "00000000000" }, OriginalData.Parse(de90));
        Assert.Null(OriginalData.Parse(de90[..41]));
        Assert.Null(OriginalData.Parse(de90[..41] + "x"));
    }

    [Fact]
    public void Transaction_text_never_shows_the_pan()
    {
        var txn = new CardTransaction { TransactionId = "1-1", Mti = "0200", Pan = "4761730000000011" };
        Assert.DoesNotContain("4761730000000011", txn.ToString(), StringComparison.Ordinal);
        Assert.Contains("476173******0011", txn.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bin_lookup_takes_the_longest_prefix()
    {
        var snapshot = new MasterDataSnapshot([], [], [],
            [new OnUsBinProfile("476173", "pvk-a", "cvk-a", 840), new OnUsBinProfile("47617301", "pvk-b", "cvk-b", 840)], []);
        Assert.Equal("pvk-b", snapshot.BinOf("4761730100000000")!.PvkRef);
        Assert.Equal("pvk-a", snapshot.BinOf("4761730000000011")!.PvkRef);
        Assert.Null(snapshot.BinOf("5413330000000019"));
        Assert.Null(snapshot.BinOf("4761"));
    }
}

public sealed class DemoDataSetTests
{
    [Fact]
    public void The_data_set_holds_the_six_cards_and_their_track_2()
    {
        Assert.Equal("ABCDEF", new string([.. DemoDataSet.Cards.Select(c => c.Letter)]));
        var a = DemoDataSet.Card('a');
        Assert.Equal(100_000, a.OpeningBalanceMinor);
        Assert.Equal(a.Pan + "=3012101" + "1" + "0046" + "718" + "00000", a.Track2);
        Assert.Equal(CardStatus.Lost, DemoDataSet.Card('C').Status);
        Assert.Equal(CardStatus.Stolen, DemoDataSet.Card('D').Status);
        Assert.Equal(6, DemoDataSet.All.Keys.Count);
        Assert.True(DemoDataSet.Terminals.Single(t => t.TerminalId == "TERM0001").MacRequired);
        Assert.Equal(5_000, DemoDataSet.RemoteIssuer.StandInLimitMinor);
        Assert.Throws<ArgumentException>(() => DemoDataSet.Card('G'));
    }
}
