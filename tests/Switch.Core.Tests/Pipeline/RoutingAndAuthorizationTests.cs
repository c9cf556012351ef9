using Switch.Core.Issuers;
using Switch.Iso8583.Message;
using Switch.Routing;

namespace Switch.Core.Tests.Pipeline;

/// <summary>Route by BIN to the on-us authorizer or the issuer gateway; 15 without a route; a reload never re-routes a transaction in flight.</summary>
public sealed class RoutingAndAuthorizationTests
{
    private const string RemotePan = "5413330000000019";
    private const string UnroutedPan = "9999990000000006";

    [Fact]
    public async Task A_BIN_without_a_route_is_answered_15()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request(pan: UnroutedPan, terminal: "TERM0002")));
        Assert.Equal("15", answer.GetString(39));
        Assert.Empty(h.OnUs.Calls);
        Assert.Empty(h.Issuers.Calls);
    }

    [Fact]
    public async Task A_remote_BIN_goes_to_the_issuer_gateway_with_its_route_and_the_terminal_request()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.Issuers.Decide = r => new IssuerDecision
        {
            ResponseCode = "00", ApprovalCode = "ISS001", Destination = r.Route.Destination,
            IssuerResponse = PipelineHarness.Spec.NewMessage("0210").Set(54, "0002840C000000500000"),
        };
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request(pan: RemotePan, terminal: "TERM0002")));
        Assert.Equal(("00", "ISS001", "0002840C000000500000"), (answer.GetString(39), answer.GetString(38), answer.GetString(54)));
        var call = Assert.Single(h.Issuers.Calls);
        Assert.Equal(("demo-issuer", "issuer-sim", "stand-in"), (call.Route.Name, call.Route.Destination, call.Route.Failover));
        Assert.Equal(RemotePan, call.TerminalRequest.GetString(2));
        Assert.Single(h.Issuers.Commits);
        Assert.Empty(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_route_to_stand_in_goes_to_the_issuer_gateway()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.Routes.TryPublish(PipelineHarness.DemoRoutes(2, remoteDestination: KnownDestinations.StandIn));
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request(pan: RemotePan, terminal: "TERM0002")));
        Assert.Equal("stand-in", Assert.Single(h.Issuers.Calls).Route.Destination);
    }

    [Fact]
    public async Task A_route_change_while_transactions_are_in_flight_does_not_re_route_them()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.OnUs.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = Enumerable.Range(0, 1_000)
            .Select(i => h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: (700_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)))))
            .ToArray();
        // On-us BIN now goes to the issuer: the 1,000 in flight were routed on-us and stay so.
        h.Routes.TryPublish(RouteTable.Build([RouteRules.Create("demo-on-us", "476173", "issuer-sim")], 2));
        var after = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "799999")));
        h.OnUs.Gate.SetResult();
        IsoMessage[] answers = await Task.WhenAll(inFlight);
        Assert.All(answers, a => Assert.Equal("00", a.GetString(39)));
        Assert.Equal(1_000, h.OnUs.Calls.Count);
        Assert.Equal("issuer-sim", Assert.Single(h.Issuers.Calls).Route.Destination);
        Assert.Equal("00", after.GetString(39));
        Assert.All(h.Journal.Events.Where(e => e.Kind == Switch.Journal.Events.LegKind.ResponseOut && e.Stan != "799999"), e => Assert.Equal("on-us", e.Destination));
    }

    [Fact]
    public async Task A_decision_that_misses_the_deadline_answers_96_on_us_and_is_aborted_when_it_arrives()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { TransactionTimeoutMs = 200 });
        h.OnUs.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("96", answer.GetString(39));
        h.OnUs.Gate.SetResult();
        await WaitUntil(() => !h.OnUs.Aborts.IsEmpty);
        Assert.Empty(h.OnUs.Commits);
    }

    [Fact]
    public async Task A_remote_decision_that_misses_the_deadline_answers_91()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { TransactionTimeoutMs = 200 });
        h.Issuers.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request(pan: RemotePan, terminal: "TERM0002")));
        Assert.Equal("91", answer.GetString(39));
        h.Issuers.Gate.SetResult();
        await WaitUntil(() => !h.Issuers.Aborts.IsEmpty);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }
}
