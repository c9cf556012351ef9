using System.Globalization;
using System.Text.Json.Nodes;
using Switch.Iso8583.Message;
using Switch.Simulators.Card;
using Xunit.Abstractions;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// A `switch run` whose issuer holds every authorization for <see cref="HoldMs"/> before approving, with timeouts long
/// enough that 1,000 held requests are all answered (connector mux.timeoutMs, core.transactionTimeoutMs).
/// </summary>
public sealed class SlowIssuerSwitch : FastSwitchProcess
{
    public const int HoldMs = 5_000;

    public override int IssuerTimeoutMs => 30_000;

    protected override IssuerSimulatorOptions IssuerOptions() => new() { Port = 0, InFlightPerConnectionMax = 4_000, Rules = new IssuerRules { DelayMs = HoldMs } };

    protected override void Customize(JsonObject config)
    {
        base.Customize(config);
        config["core"]!["transactionTimeoutMs"] = 60_000;
    }
}

/// <summary>
/// Issue 17's "a route change while 1,000 transactions are in flight with none mis-routed", through a real `switch run`
/// and the real `switch routes update` (LISTEN/NOTIFY): 1,000 remote purchases of the demo remote card are held at the
/// issuer when the operator re-points route demo-issuer to on-us, while more purchases keep arriving. Each transaction
/// went to the destination of the snapshot it was routed with, and only there: approved by the issuer (00, in the
/// issuer's log, journaled with destination issuer-sim) or decided on-us (14: no such on-us card, never at the issuer,
/// journaled with destination on-us). The 1,000 routed before the change are all the issuer's.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class RouteChangeInFlightEndToEndTests(SlowIssuerSwitch sw, ITestOutputHelper output) : IClassFixture<SlowIssuerSwitch>
{
    private const int InFlight = 1_000;
    private const int Connections = 20;
    private const long AmountBase = 100_000;
    private const int LaterConnections = 8;
    private const int Later = 1_600;

    /// <summary>How long requests keep coming after `routes update` returned: the change reaches the switch within a second (LISTEN/NOTIFY), with room for a loaded machine.</summary>
    private static readonly TimeSpan After = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_route_change_while_1000_transactions_are_in_flight_misroutes_none()
    {
        // Every request has its own amount: the issuer's log names requests by amount (its DE11 is the switch's STAN).
        await using var builder = new PosTerminal(new PosTerminalOptions { Port = sw.TerminalPort, TerminalId = "TERM0002", StanStart = 1 });
        var requests = new List<IsoMessage>();
        for (int i = 0; i < InFlight + Later; i++) requests.Add(await builder.BuildAsync(E2e.Remote(AmountBase + i, noPin: true), E2e.None));

        var terminals = new List<Pipeline.TestTerminal>();
        for (int c = 0; c < Connections + LaterConnections; c++) terminals.Add(await E2e.RawTerminalAsync(sw));
        try
        {
            var answers = new List<Task<List<IsoMessage>>>();
            for (int c = 0; c < Connections; c++)
            {
                int per = InFlight / Connections;
                var mine = requests.Skip(c * per).Take(per).ToList();
                foreach (var r in mine) await terminals[c].SendAsync(r);
                answers.Add(ReceiveAsync(terminals[c], per));
            }
            var held = await sw.Issuer.Log.WaitForAsync(e => e.Mti == "0200" && e.AmountMinor >= AmountBase, InFlight, E2e.Patience, E2e.None);
            Assert.Equal(InFlight, held.Count);

            // The change, while the 1,000 wait at the issuer; more requests keep coming meanwhile, until well after it.
            var change = Task.Run(() => CliRunner.Run(["routes", "update", "--name", "demo-issuer", "--destination", "on-us", "--operator", "corefaults", "--config", sw.ConfigPath]));
            var later = requests.Skip(InFlight).ToList();
            var laterSends = new List<Task<(List<IsoMessage> Sent, List<IsoMessage> Answers)>>();
            for (int c = 0; c < LaterConnections; c++)
            {
                var mine = later.Where((_, i) => i % LaterConnections == c).ToList();
                laterSends.Add(SendPacedAsync(terminals[Connections + c], mine, change));
            }
            var changed = await change;
            Assert.True(changed.ExitCode == 0, changed.ToString());

            var laterDone = await Task.WhenAll(laterSends);
            var sent = requests.Take(InFlight).Concat(laterDone.SelectMany(l => l.Sent)).ToList();
            var all = (await Task.WhenAll(answers)).SelectMany(a => a).Concat(laterDone.SelectMany(l => l.Answers)).ToDictionary(a => a.GetString(11)!);
            Assert.Equal(sent.Count, all.Count);
            var atIssuer = sw.Issuer.Log.OfMti("0200").Where(e => e.AmountMinor >= AmountBase).Select(e => e.AmountMinor!.Value).ToHashSet();
            var journaled = (await JournaledAsync(sent.Count)).ToDictionary(r => r[0]!, r => (Code: r[1], Route: r[2], Destination: r[3]));

            int remote = 0, onUs = 0;
            foreach (var request in sent)
            {
                string stan = request.GetString(11)!;
                long amount = long.Parse(request.GetString(4)!, CultureInfo.InvariantCulture);
                var answer = all[stan];
                var leg = journaled[stan];
                Assert.Equal(answer.GetString(39), leg.Code);
                Assert.Equal("demo-issuer", leg.Route);
                if (answer.GetString(39) == "00")
                {
                    Assert.True(atIssuer.Contains(amount), $"STAN {stan} approved without reaching the issuer");
                    Assert.Equal("issuer-sim", leg.Destination);
                    remote++;
                }
                else
                {
                    Assert.Equal("14", answer.GetString(39));
                    Assert.False(atIssuer.Contains(amount), $"STAN {stan} reached the issuer but was answered on-us");
                    Assert.Equal("on-us", leg.Destination);
                    onUs++;
                }
            }
            // The 1,000 were routed before the change: all the issuer's. The change reached the switch: the last ones are on-us.
            Assert.All(requests.Take(InFlight), r => Assert.Equal("00", all[r.GetString(11)!].GetString(39)));
            Assert.All(laterDone, l => Assert.Equal("14", all[l.Sent[^1].GetString(11)!].GetString(39)));
            output.WriteLine($"{remote} routed to the issuer, {onUs} on-us after the change");
        }
        finally
        {
            foreach (var t in terminals) t.Dispose();
        }
    }

    /// <summary>
    /// Sends one request every 100 ms (the change lands among them) until <see cref="After"/> past the change's end (or
    /// the requests run out), then reads all their answers.
    /// </summary>
    private static async Task<(List<IsoMessage> Sent, List<IsoMessage> Answers)> SendPacedAsync(Pipeline.TestTerminal terminal, List<IsoMessage> requests, Task change)
    {
        var sent = new List<IsoMessage>();
        DateTime? stopAt = null;
        foreach (var r in requests)
        {
            if (change.IsCompleted) stopAt ??= DateTime.UtcNow + After;
            if (DateTime.UtcNow > stopAt) break;
            await terminal.SendAsync(r);
            sent.Add(r);
            await Task.Delay(100);
        }
        Assert.True(DateTime.UtcNow > stopAt, "requests ran out before the change had reached the switch");
        return (sent, await ReceiveAsync(terminal, sent.Count));
    }

    private static async Task<List<IsoMessage>> ReceiveAsync(Pipeline.TestTerminal terminal, int count)
    {
        var answers = new List<IsoMessage>();
        while (answers.Count < count) answers.Add(await terminal.ReceiveAsync());
        return answers;
    }

    /// <summary>Each transaction's answer leg: STAN, DE39, route, destination (waits until all are projected).</summary>
    private async Task<List<string?[]>> JournaledAsync(int count)
    {
        List<string?[]> rows = [];
        await E2e.WaitUntilAsync(async () =>
        {
            rows = await E2e.QueryAsync(sw, """
                select stan, response_code, route, destination from journal_leg
                where leg = 'response_out' and terminal_id = 'TERM0002' and mti = '0210' and amount_minor >= @a
                """, ("a", AmountBase));
            return rows.Count >= count;
        }, $"{count} answers projected");
        Assert.Equal(count, rows.Count);
        return rows;
    }
}
