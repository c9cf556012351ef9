using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Switch.Common.Configuration;
using Switch.Core.Authorization;

namespace Switch.Core.Tests.Authorization;

/// <summary>The balance-effect detail the authorizer journals: round trip, bad input refused with a position, never a crash.</summary>
public sealed class EffectDetailTests
{
    [Fact]
    public void A_detail_round_trips_and_the_key_may_hold_separators()
    {
        var detail = new EffectDetail(20261204, -1500, 2, 0, "1-77", true, "0200.000001.1204101112.00000123456.T;RM=01");
        string text = detail.Format();
        Assert.Equal("day=20261204;dd=-1500;p=2:0;o=1-77;c=1;r=0200.000001.1204101112.00000123456.T;RM=01", text);
        Assert.True(EffectDetail.TryParse(text, out var parsed, out _));
        Assert.Equal(detail, parsed);
        Assert.True(EffectDetail.TryParse("", out var empty, out _));
        Assert.Equal(EffectDetail.None, empty);
    }

    [Theory]
    [InlineData("day=2026;dd=5", "field 'day' at 0")]
    [InlineData("dd=x", "field 'dd' at 0")]
    [InlineData("p=1", "field 'p' at 0")]
    [InlineData("day=20261204;zz=1", "field 'zz' at 13")]
    [InlineData("free text", "no '='")]
    [InlineData("o=", "field 'o' at 0")]
    [InlineData("dd=5", "'dd' without 'day'")]
    public void A_detail_the_authorizer_did_not_write_is_refused_with_where(string text, string problem)
    {
        Assert.False(EffectDetail.TryParse(text, out _, out string why));
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_text_never_crashes_the_parser()
    {
        var gen = Gen.Elements("day=", "dd=", "p=", "o=", "c=", "r=", ";", "=", ":", "1", "20261204", "-", "x", "")
            .ArrayOf().Select(parts => string.Concat(parts));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5_000).WithQuietOnSuccess(true), Prop.ForAll(gen.ToArbitrary(), text =>
        {
            if (EffectDetail.TryParse(text, out var d, out _)) Assert.True(EffectDetail.TryParse(d.Format(), out var again, out _) && again == d);
            return true;
        }));
    }

    [Fact]
    public void An_oversized_detail_is_refused_before_the_journal_would_be()
    {
        var detail = EffectDetail.None with { Key = new string('k', 300) };
        Assert.Throws<InvalidOperationException>(() => detail.Format());
    }

    [Theory]
    [InlineData("{\"partitionQueueMax\": 0}", "partitionQueueMax")]
    [InlineData("{\"reversalWindowMs\": 5}", "reversalWindowMs")]
    [InlineData("{\"reversalEntriesMax\": 10}", "reversalEntriesMax")]
    [InlineData("{\"dukptPinKeyRef\": \"\"}", "dukptPinKeyRef")]
    public void The_authorizer_options_are_validated_by_key(string json, string key)
    {
        var section = new ConfigSection("switch.json", "core", JsonDocument.Parse(json).RootElement);
        var ex = Assert.Throws<ConfigException>(() => CoreOptions.FromSection(section));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_authorizer_options_have_bounded_defaults()
    {
        var options = CoreOptions.FromSection(new ConfigSection("switch.json", "core", JsonDocument.Parse("{\"dukptPinKeyRef\": \"switch-zpk\"}").RootElement));
        Assert.Equal((10_000, 86_400_000, 1_000_000, "switch-zpk"), (options.PartitionQueueMax, options.ReversalWindowMs, options.ReversalEntriesMax, options.DukptPinKeyRef));
    }
}
