using System.Text.Json;
using Switch.Common.Configuration;
using Switch.Core.StoreAndForward;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Issuers;

/// <summary>The store-and-forward entry's journal form, the detail text, and the gateway's options.</summary>
public sealed class StoreAndForwardUnitTests
{
    private static SafEntry Entry() => new()
    {
        Kind = SafKind.Reversal, Endpoint = "issuer-sim", TransactionId = "1-9", Mti = "0420", Stan = "000321", TransmissionDateTime = "1204101112",
        ProcessingCode = "000000", PanEncrypted = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45 },
        PanMasked = "541333******0019", AmountMinor = 4_200, CurrencyNumeric = 840, Rrn = "RRN000101000", TerminalId = "TERM0002", MerchantId = "MERCHANT0000001",
        ResponseCode = "68", OriginalData = "020000012312041011120000099887700000000000", ReplacementAmounts = "000000001000" + new string('0', 30),
        LocalTime = "101112", LocalDate = "1204", IndexKey = "TERM0002|000101|1204101112|", Reason = "timeout",
    };

    [Fact]
    public void A_queued_entry_round_trips_through_its_journal_event_without_a_run_of_13_digits_in_the_detail()
    {
        var e = Entry().ToQueuedEvent(DateTime.UtcNow, 12, "998877", "demo-issuer");
        Assert.Equal(LegKind.ReversalQueued, e.Kind);
        Assert.DoesNotMatch("[0-9]{13}", e.Detail);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(e.Detail) <= 255);
        var back = SafEntry.FromQueuedEvent(e)!;
        var original = Entry();
        Assert.Equal(original.OriginalData, back.OriginalData);
        Assert.Equal(original.ReplacementAmounts, back.ReplacementAmounts);
        Assert.Equal(original.TransmissionDateTime, back.TransmissionDateTime);
        Assert.Equal(original.IndexKey, back.IndexKey);
        Assert.Equal(original.Stan, back.Stan);
        Assert.Equal(original.PanEncrypted.ToArray(), back.PanEncrypted.ToArray());
        Assert.Equal("timeout", back.Reason);
        Assert.Equal("0421", back.MtiOf(1));
    }

    [Fact]
    public void An_event_that_is_not_a_complete_queued_entry_is_not_taken_for_one()
    {
        var e = Entry().ToQueuedEvent(DateTime.UtcNow, 0, "998877", "r");
        Assert.Null(SafEntry.FromQueuedEvent(new JournalEvent { Kind = LegKind.RequestOut, TransactionId = "1", Destination = "x", Mti = "0420", Stan = "1" }));
        Assert.Null(SafEntry.FromQueuedEvent(new JournalEvent { Kind = LegKind.ReversalQueued, TransactionId = "1", Destination = "x", Mti = "0420", Stan = "1", Detail = e.Detail }));
        Assert.Null(SafEntry.FromQueuedEvent(new JournalEvent { Kind = LegKind.ReversalQueued, TransactionId = "1", Destination = "x", Mti = "0420", Stan = "1", PanEncrypted = e.PanEncrypted }));
    }

    [Fact]
    public void Detail_values_lose_their_separators_and_long_text_is_refused()
    {
        string detail = EventDetail.Format(("why", "a;b=c/d"), ("od", "1234567890123456789012345"), ("none", null));
        Assert.Equal("a b c d", EventDetail.Get(detail, "why"));
        Assert.Equal("1234567890123456789012345", EventDetail.Get(detail, "od"));
        Assert.Null(EventDetail.Get(detail, "none"));
        Assert.Null(EventDetail.Get("", "od"));
        Assert.Throws<ArgumentException>(() => EventDetail.Format(("why", new string('x', 300))));
    }

    [Theory]
    [InlineData("issuerBreakerFailuresMax", 0)]
    [InlineData("issuerBreakerOpenMs", 10)]
    [InlineData("remoteTransactionsMax", 5)]
    public void The_gateways_options_are_validated_naming_their_key(string key, int value)
    {
        using var json = JsonDocument.Parse($$"""{"{{key}}": {{value}}}""");
        var section = new ConfigSection("switch.json", "core", json.RootElement.Clone());
        var ex = Assert.Throws<ConfigException>(() => CoreOptions.FromSection(section));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>The per-connector breaker over unanswered issuer legs.</summary>
public sealed class IssuerBreakerTests
{
    [Fact]
    public void It_opens_after_the_failures_in_a_row_lets_one_probe_through_per_period_and_closes_on_an_answer()
    {
        var breaker = new Switch.Core.Issuers.IssuerBreaker(failuresMax: 3, openMs: 1_000);
        Assert.False(breaker.Failed(0));
        Assert.False(breaker.Failed(10));
        Assert.True(breaker.Allows(20));
        Assert.True(breaker.Failed(20));
        Assert.True(breaker.IsOpen(500));
        Assert.False(breaker.Allows(500));
        Assert.True(breaker.Allows(1_100));
        Assert.False(breaker.Allows(1_101));
        Assert.False(breaker.Failed(1_200));
        Assert.False(breaker.Allows(1_300));
        Assert.True(breaker.Allows(2_300));
        breaker.Succeeded();
        Assert.False(breaker.IsOpen(2_301));
        Assert.True(breaker.Allows(2_301));
        Assert.False(breaker.Failed(2_400));
    }
}
