using Switch.Core.MasterData;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>What the simulators print: no full PAN, no track data, no PIN block.</summary>
public sealed class OutputMaskingTests
{
    internal static void AssertMasked(string output, PosExchange x)
    {
        Assert.DoesNotContain(SimPair.RemotePan, output, StringComparison.Ordinal);
        foreach (var card in DemoDataSet.Cards) Assert.DoesNotContain(card.Pan, output, StringComparison.Ordinal);
        if (x.Request.Has(52)) Assert.DoesNotContain(Convert.ToHexString(x.Request.GetBinary(52).Span), output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("=3012", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_table_and_the_JSON_line_show_the_PAN_masked_and_no_track_or_PIN_block()
    {
        await using var pair = await SimPair.StartAsync();
        var x = await pair.Terminal("TERM0001").SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.True(x.Request.Has(52));
        string table = ExchangePrinter.Table(x);
        string json = ExchangePrinter.Json(x);
        AssertMasked(table, x);
        AssertMasked(json, x);
        Assert.Contains("541333******0019", table, StringComparison.Ordinal);
        Assert.Contains("00 (approved)", table, StringComparison.Ordinal);
        Assert.Contains("[redacted]", table, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("00", doc.RootElement.GetProperty("responseCode").GetString());
        Assert.Equal("approved", doc.RootElement.GetProperty("meaning").GetString());
        Assert.Equal("541333******0019", doc.RootElement.GetProperty("request").GetProperty("fields").GetProperty("2").GetString());
    }

    [Fact]
    public async Task The_issuer_log_entries_hold_no_PAN_track_or_PIN_block()
    {
        await using var pair = await SimPair.StartAsync();
        var x = await pair.Terminal().SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        foreach (var entry in pair.Issuer.Log.Snapshot())
        {
            AssertMasked(entry.ToJsonLine(), x);
            AssertMasked(entry.ToString(), x);
        }
    }

    [Fact]
    public async Task An_error_exchange_prints_its_error_and_stays_masked()
    {
        await using var pos = new PosTerminal(new PosTerminalOptions { Port = 1, TerminalId = "TERM0002", ConnectTimeoutMs = 500 });
        var x = await pos.SendAsync(SimPair.Purchase(1000, card: 'A'), Timeouts.Token());
        Assert.NotNull(x.Error);
        string table = ExchangePrinter.Table(x);
        Assert.Contains("cannot connect", table, StringComparison.Ordinal);
        AssertMasked(table, x);
        AssertMasked(ExchangePrinter.Json(x), x);
        Assert.Equal("demo card A", DemoDataSet.Card('A').ToString());
        Assert.DoesNotContain(DemoDataSet.Card('A').Pan, CardProfile.Demo('A').ToString(), StringComparison.Ordinal);
    }
}
