using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switch.Core.Tests.Pipeline;
using Switch.Iso8583.Message;
using Switch.Simulators.Card;

namespace Switch.Core.Tests.State;

/// <summary>A real `switch run` writing a core state snapshot every second.</summary>
public sealed class SnapshottingSwitch : SwitchProcess
{
    protected override void Customize(JsonObject config) => config["core"]!["snapshotIntervalMs"] = 1_000;
}

/// <summary>
/// End to end over a real `switch run`: after transactions, a graceful restart and a SIGKILL restart both rebuild
/// balances and duplicate memory, and each start after the first replays from a snapshot's position (the log says it).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class SnapshotRestartEndToEndTests(SnapshottingSwitch sw) : IClassFixture<SnapshottingSwitch>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [GeneratedRegex(@"State rebuilt from (\d+) journal records from sequence (\d+)")]
    private static partial Regex RebuiltLine();

    private async Task<long> BalanceAsync(char card)
    {
        await using var pos = await sw.TerminalAsync();
        var exchange = await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo(card), ProcessingCode = "31" }, None);
        Assert.Equal("00", exchange.ResponseCode);
        string de54 = exchange.Answer!.GetString(54)!;
        long amount = long.Parse(de54.AsSpan(8, 12), CultureInfo.InvariantCulture);
        return de54[7] == 'D' ? -amount : amount;
    }

    private async Task<PosExchange> PurchaseAsync(long amount)
    {
        await using var pos = await sw.TerminalAsync();
        return await pos.SendAsync(new PosTransaction { Card = CardProfile.Demo('A'), AmountMinor = amount }, None);
    }

    /// <summary>The repeat of a request's bytes gets the original decision (duplicate memory rebuilt), not a second debit.</summary>
    private async Task AssertRepeatAnsweredAsOriginalAsync(PosExchange original)
    {
        using var terminal = await TestTerminal.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, sw.TerminalPort),
            Switch.Iso8583.Spec.SpecCatalog.BuiltIn("iso8583-1987-binary"));
        await terminal.SendRawAsync(original.RequestBytes);
        IsoMessage again = await terminal.ReceiveAsync();
        Assert.Equal(("00", original.Answer!.GetString(38), original.Answer.GetString(11)), (again.GetString(39), again.GetString(38), again.GetString(11)));
    }

    /// <summary>The replay start of the newest "State rebuilt" line.</summary>
    private long LastReplayStart()
    {
        var lines = RebuiltLine().Matches(sw.Output);
        Assert.NotEmpty(lines);
        return long.Parse(lines[^1].Groups[2].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_graceful_and_a_SIGKILL_restart_rebuild_balances_and_duplicates_replaying_from_the_snapshot_position()
    {
        long before = await BalanceAsync('A');
        var first = await PurchaseAsync(300);
        var second = await PurchaseAsync(200);
        Assert.Equal(("00", "00"), (first.ResponseCode, second.ResponseCode));

        await sw.RestartAsync();
        long afterGraceful = LastReplayStart();
        Assert.True(afterGraceful > 0, $"the start after a graceful stop replayed from {afterGraceful}:\n{sw.Output}");
        Assert.Equal(before - 500, await BalanceAsync('A'));
        await AssertRepeatAnsweredAsOriginalAsync(second);
        Assert.True(await sw.Database.ScalarAsync<long>("SELECT count(*) FROM core_state_snapshot") >= 1);

        var third = await PurchaseAsync(100);
        Assert.Equal("00", third.ResponseCode);
        // A periodic snapshot past the graceful one's position, then SIGKILL: no shutdown snapshot at all.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await sw.Database.ScalarAsync<long>("SELECT coalesce(max(sequence), 0) FROM core_state_snapshot") < afterGraceful && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        await sw.KillAsync();
        await sw.StartAgainAsync();
        long afterKill = LastReplayStart();
        Assert.True(afterKill > afterGraceful, $"the start after SIGKILL replayed from {afterKill} (graceful: {afterGraceful}):\n{sw.Output}");
        Assert.Equal(before - 600, await BalanceAsync('A'));
        await AssertRepeatAnsweredAsOriginalAsync(third);
        await AssertRepeatAnsweredAsOriginalAsync(second);
        Assert.Equal(before - 600, await BalanceAsync('A'));
    }
}
