using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Authorization;

/// <summary>What the authorizer hands the journal never holds a full PAN, track 2, CVV, PVV, PIN or PIN block.</summary>
public sealed class OnUsSensitiveDataTests
{
    [Fact]
    public async Task No_effect_event_of_any_decision_holds_card_data()
    {
        await using var f = await OnUsFixture.CreateAsync();
        var events = new List<JournalEvent>();
        var purchase = f.Txn('A', TransactionKind.Purchase, 1_000);
        var auth = f.Txn('B', TransactionKind.Authorization, 500);
        foreach (var txn in new[]
        {
            purchase, auth,
            f.Txn('F', TransactionKind.Purchase, 100, pin: "0000"),
            f.Txn('F', TransactionKind.Purchase, 100),
            f.Txn('B', TransactionKind.Advice, 400, pin: "", original: OnUsFixture.OriginalOf(auth)),
            f.Txn('A', TransactionKind.Reversal, 1_000, pin: "", original: OnUsFixture.OriginalOf(purchase), replacement: 300),
        })
        {
            var decision = await f.SendAsync(txn);
            Assert.NotEmpty(decision.Effects);
            events.AddRange(decision.Effects);
        }
        Assert.Contains(events, e => e.ApprovalCode.Length == 6 && e.ResponseCode == "00");
        foreach (var card in DemoDataSet.Cards)
        {
            string[] secrets = [card.Pan, card.Track2, card.Pan[6..], Convert.ToHexString(OnUsFixture.PinBlock(card.Pan, card.Pin)), $"={card.Expiry}"];
            foreach (var e in events)
            {
                string text = string.Join("|", e.TransactionId, e.Mti, e.ProcessingCode, e.PanMasked, e.Stan, e.Rrn, e.TerminalId, e.MerchantId,
                    e.AcquirerId, e.Route, e.Destination, e.ResponseCode, e.ApprovalCode, e.AccountId, e.Detail);
                foreach (string secret in secrets) Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("cvv", e.Detail, StringComparison.OrdinalIgnoreCase);
                Assert.True(e.PanEncrypted.IsEmpty);
                Assert.Equal(32, e.PanHash.Length);
            }
        }
    }
}
