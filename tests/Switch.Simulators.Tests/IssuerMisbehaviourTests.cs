using System.Diagnostics;
using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>Each misbehaviour of the issuer simulator, as a terminal on the other end of the connection sees it.</summary>
public sealed class IssuerMisbehaviourTests
{
    private static IssuerRules Misbehave(string action, int? next = null, int? delayMs = null, string? amountEndsWith = null) =>
        new() { Misbehaviours = [new MisbehaviourRule { Action = action, Next = next, DelayMs = delayMs, AmountEndsWith = amountEndsWith }] };

    [Fact]
    public async Task Drop_gives_no_answer_within_the_timeout_and_the_request_is_still_logged()
    {
        await using var pair = await SimPair.StartAsync(Misbehave("drop", next: 1));
        var pos = pair.Terminal(answerTimeoutMs: 2000);
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.Null(x.Answer);
        Assert.StartsWith("timeout", x.Error, StringComparison.Ordinal);
        var entry = Assert.Single(pair.Issuer.Log.Snapshot());
        Assert.Equal("drop", entry.Behaviour);
        Assert.Null(entry.Answer);
        // Only the next request was dropped: the one after is answered (on a new connection).
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token())).ResponseCode);
    }

    [Fact]
    public async Task Disconnect_closes_the_connection_after_reading_the_request()
    {
        await using var pair = await SimPair.StartAsync(Misbehave("disconnect", next: 1));
        var pos = pair.Terminal();
        var started = Stopwatch.StartNew();
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.Null(x.Answer);
        Assert.Contains("closed", x.Error, StringComparison.Ordinal);
        Assert.True(started.ElapsedMilliseconds < 4000, "a close is seen at once, not as a timeout");
        Assert.Equal("disconnect", pair.Issuer.Log.Snapshot()[^1].Behaviour);
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token())).ResponseCode);
    }

    [Theory]
    [InlineData("malformed")]
    [InlineData("bad-bitmap")]
    public async Task A_malformed_reply_is_a_frame_that_does_not_decode(string action)
    {
        await using var pair = await SimPair.StartAsync(Misbehave(action, next: 1));
        var pos = pair.Terminal();
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.Null(x.Answer);
        Assert.StartsWith("malformed answer", x.Error, StringComparison.Ordinal);
        Assert.Equal(action, pair.Issuer.Log.Snapshot()[^1].Behaviour);
    }

    [Fact]
    public async Task A_late_reply_arrives_after_the_terminal_gave_up()
    {
        await using var pair = await SimPair.StartAsync(Misbehave("late", delayMs: 1500));
        var pos = pair.Terminal(answerTimeoutMs: 500);
        var x = await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.StartsWith("timeout", x.Error, StringComparison.Ordinal);
        Assert.Equal("late", pair.Issuer.Log.Snapshot()[^1].Behaviour);
        // With a timeout longer than the delay the same rule's answer does arrive, late.
        var patient = pair.Terminal(answerTimeoutMs: 10_000);
        var started = Stopwatch.StartNew();
        var y = await patient.SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.Equal("00", y.ResponseCode);
        Assert.True(started.ElapsedMilliseconds >= 1400, $"answered after {started.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Late_defaults_to_a_delay_past_the_switch_two_second_issuer_timeout()
    {
        var rule = new MisbehaviourRule { Action = "late" };
        Assert.Equal(Misbehaviour.Late, rule.Kind);
        Assert.True(rule.EffectiveDelayMs > 2000);
    }

    [Fact]
    public async Task A_delay_rule_for_amounts_ending_in_a_value_slows_only_those()
    {
        await using var pair = await SimPair.StartAsync(Misbehave("delay", delayMs: 800, amountEndsWith: "99"));
        var pos = pair.Terminal();
        var started = Stopwatch.StartNew();
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(1099), Timeouts.Token())).ResponseCode);
        Assert.True(started.ElapsedMilliseconds >= 750, $"answered after {started.ElapsedMilliseconds} ms");
        var log = pair.Issuer.Log.Snapshot();
        Assert.Equal("delay", log[^1].Behaviour);
        Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(1000), Timeouts.Token())).ResponseCode);
        Assert.Equal("none", pair.Issuer.Log.Snapshot()[^1].Behaviour);
    }

    [Fact]
    public async Task Next_N_misbehaves_exactly_N_times()
    {
        await using var pair = await SimPair.StartAsync(Misbehave("malformed", next: 2));
        var pos = pair.Terminal();
        var codes = new List<string?>();
        for (int i = 0; i < 4; i++) codes.Add((await pos.SendAsync(SimPair.Purchase(100), Timeouts.Token())).ResponseCode);
        Assert.Equal([null, null, "00", "00"], codes);
    }

    [Fact]
    public async Task A_seeded_drop_rate_drops_the_same_requests_on_every_run()
    {
        async Task<string> RunAsync()
        {
            await using var pair = await SimPair.StartAsync(new IssuerRules { DropRate = 0.5, Seed = 7 });
            var pos = pair.Terminal(answerTimeoutMs: 1500); // long enough that an answered request is never mistaken for a drop
            var answered = new List<char>();
            for (int i = 0; i < 8; i++) answered.Add((await pos.SendAsync(SimPair.Purchase(100), Timeouts.Token())).Answered ? 'A' : 'D');
            return new string([.. answered]);
        }
        string first = await RunAsync();
        Assert.Equal(first, await RunAsync());
        Assert.Contains('D', first);
        Assert.Contains('A', first);
    }

    [Fact]
    public async Task Network_management_is_answered_even_while_transactions_are_dropped_unless_a_rule_says_any_message()
    {
        await using var pair = await SimPair.StartAsync(Misbehave("drop"));
        var pos = pair.Terminal(answerTimeoutMs: 3000);
        var echo = pos.Spec.NewMessage("0800").Set(7, "1204101010").Set(11, "000001").Set(41, "TERM0002").Set(70, "301");
        Assert.Equal("00", (await pos.ExchangeAsync("echo", echo, Timeouts.Token())).ResponseCode);
        await pair.Issuer.UseRulesAsync(new IssuerRules { Misbehaviours = [new MisbehaviourRule { Action = "drop", AnyMessage = true }] }, Timeouts.Token());
        echo.Set(11, "000002");
        Assert.StartsWith("timeout", (await pos.ExchangeAsync("echo", echo, Timeouts.Token())).Error, StringComparison.Ordinal);
    }
}

/// <summary>An issuer that goes away and comes back on the same port (what the switch's SAF tests need).</summary>
public sealed class IssuerRestartTests
{
    [Fact]
    public async Task A_stopped_simulator_refuses_connections_and_a_new_one_binds_the_same_port_at_once()
    {
        int port;
        var first = new IssuerSimulator(new IssuerSimulatorOptions { Port = 0 });
        await first.StartAsync(Timeouts.Token());
        port = first.Port;
        await using (var pos = new PosTerminal(new PosTerminalOptions { Port = port, TerminalId = "TERM0002", PinKey = DemoKeys.IssuerZpkName }))
        {
            Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(100), Timeouts.Token())).ResponseCode);
            await first.DisposeAsync();
            var down = await pos.SendAsync(SimPair.Purchase(100), Timeouts.Token());
            Assert.NotNull(down.Error);
            await using var second = new IssuerSimulator(new IssuerSimulatorOptions { Port = port });
            await second.StartAsync(Timeouts.Token());
            Assert.Equal("00", (await pos.SendAsync(SimPair.Purchase(100), Timeouts.Token())).ResponseCode);
            Assert.Single(second.Log.Snapshot());
        }
    }
}
