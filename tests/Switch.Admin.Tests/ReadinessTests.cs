using System.Text.Json;
using Switch.Admin.Readiness;

namespace Switch.Admin.Tests;

/// <summary>/health/ready over real listeners, connectors and a real journal, and the readiness rule.</summary>
[Collection("journal")]
public sealed class ReadinessTests
{
    internal sealed record Check(string Name, string Kind, string Status, string Detail);

    internal static async Task<(int Http, string Status, List<Check> Checks)> ReadyAsync(AdminHost host)
    {
        var (http, body, type) = await host.GetAsync("/health/ready");
        Assert.Equal("application/json", type);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.Equal(2, root.EnumerateObject().Count());
        var checks = root.GetProperty("checks").EnumerateArray()
            .Select(c => new Check(c.GetProperty("name").GetString()!, c.GetProperty("kind").GetString()!, c.GetProperty("status").GetString()!, c.GetProperty("detail").GetString()!))
            .ToList();
        return (http, root.GetProperty("status").GetString()!, checks);
    }

    [Fact]
    public async Task With_no_checks_the_switch_is_ready()
    {
        await using var host = await AdminHost.StartAsync();
        var (http, status, checks) = await ReadyAsync(host);
        Assert.Equal(200, http);
        Assert.Equal("ready", status);
        Assert.Empty(checks);
    }

    [Fact]
    public async Task All_checks_green_is_ready_200_with_each_check_named()
    {
        await using var listener = NetworkRig.StartListener("pos");
        await using var issuerSide = NetworkRig.StartListener("issuer-a-peer");
        await using var connector = NetworkRig.StartConnector("issuer-a", NetworkRig.EndpointOf(issuerSide));
        await NetworkRig.WaitSignedOnAsync(connector);
        using var journal = new JournalRig();
        // A journal just opened reports degraded while its Kafka producer is built: wait for a first acknowledgement.
        await journal.Journal.AppendAsync([JournalRig.Event("t0")], CancellationToken.None);
        await journal.Journal.Forwarder.WaitAckedAsync(journal.Journal.Spool.LastAssigned).WaitAsync(AdminHost.Timeout);
        await WaitFor.ConditionAsync(() => journal.Journal.Health == Journal.JournalHealth.Healthy, "the journal's producer");
        await using var host = await AdminHost.StartAsync(
            [ReadinessChecks.ForListener(listener), ReadinessChecks.ForConnector(connector), ReadinessChecks.ForJournal(journal.Journal)]);

        var (http, status, checks) = await ReadyAsync(host);

        Assert.True(status == "ready", string.Join("; ", checks));
        Assert.Equal(200, http);
        Assert.Equal(["pos", "issuer-a", "journal"], checks.Select(c => c.Name));
        Assert.Equal(["listener", "connector", "journal"], checks.Select(c => c.Kind));
        Assert.All(checks, c => Assert.Equal("ok", c.Status));
        Assert.StartsWith($"listening on 127.0.0.1:{listener.LocalEndPoint.Port}", checks[0].Detail, StringComparison.Ordinal);
        Assert.Equal("signed on; 1 of 1 connections open, 1 signed on", checks[1].Detail);
        Assert.Contains("lag", checks[2].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connector_down_makes_the_switch_degraded_still_200()
    {
        await using var listener = NetworkRig.StartListener("pos");
        await using var connector = NetworkRig.StartConnector("issuer-b", $"127.0.0.1:{NetworkRig.ClosedPort()}");
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForListener(listener), ReadinessChecks.ForConnector(connector)]);

        var (http, status, checks) = await ReadyAsync(host);

        Assert.Equal(200, http);
        Assert.Equal("degraded", status);
        var c = Assert.Single(checks, c => c.Kind == "connector");
        Assert.Equal("failed", c.Status);
        Assert.Equal("down: 0 of 1 connections open, 0 signed on", c.Detail);
    }

    [Fact]
    public async Task A_connector_with_one_connection_of_two_down_is_degraded()
    {
        await using var issuerSide = NetworkRig.StartListener("issuer-peer");
        await using var connector = NetworkRig.StartConnector("issuer-c", NetworkRig.EndpointOf(issuerSide), $"127.0.0.1:{NetworkRig.ClosedPort()}");
        await WaitFor.ConditionAsync(() => connector.IsUsable, "one usable connection");
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForConnector(connector)]);

        var (http, status, checks) = await ReadyAsync(host);

        Assert.Equal(200, http);
        Assert.Equal("degraded", status);
        Assert.Equal("degraded", checks[0].Status);
        Assert.Equal("some connections down or failing echo tests; 1 of 2 connections open, 1 signed on", checks[0].Detail);
    }

    [Fact]
    public async Task A_connector_connected_but_not_signed_on_is_failed_and_the_switch_degraded()
    {
        await using var issuerSide = NetworkRig.StartListener("silent-peer", new SilentHandler());
        await using var connector = NetworkRig.StartConnector("issuer-d", NetworkRig.EndpointOf(issuerSide));
        await WaitFor.ConditionAsync(() => connector.Health == Network.Connector.EndpointHealth.Up, "a connection without sign-on");
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForConnector(connector)]);

        var (http, status, checks) = await ReadyAsync(host);

        Assert.Equal(200, http);
        Assert.Equal("degraded", status);
        Assert.Equal(new Check("issuer-d", "connector", "failed", "connected but not signed on; 1 of 1 connections open, 0 signed on"), checks[0]);
    }

    [Fact]
    public async Task A_connector_without_sign_on_is_ok_once_connected()
    {
        await using var issuerSide = NetworkRig.StartListener("plain-peer");
        await using var connector = NetworkRig.StartConnector("issuer-e", signOnRequired: false, NetworkRig.EndpointOf(issuerSide));
        await WaitFor.ConditionAsync(() => connector.IsUsable, "a usable connection");
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForConnector(connector)]);

        var (http, status, checks) = await ReadyAsync(host);

        Assert.Equal(200, http);
        Assert.Equal("ready", status);
        Assert.Equal("connected (sign-on not required); 1 of 1 connections open, 0 signed on", checks[0].Detail);
    }

    [Fact]
    public async Task A_listener_that_stopped_makes_the_switch_not_ready_503()
    {
        var listener = NetworkRig.StartListener("pos");
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForListener(listener)]);
        Assert.Equal(200, (await ReadyAsync(host)).Http);

        await listener.DisposeAsync();
        var (http, status, checks) = await ReadyAsync(host);

        Assert.Equal(503, http);
        Assert.Equal("not_ready", status);
        Assert.Equal(new Check("pos", "listener", "failed", "not listening (not started, or shutting down)"), checks[0]);
    }

    [Fact]
    public async Task A_journal_refusing_appends_makes_the_switch_not_ready_503_and_recovers()
    {
        await using var listener = NetworkRig.StartListener("pos");
        using var journal = new JournalRig();
        await using var host = await AdminHost.StartAsync([ReadinessChecks.ForListener(listener), ReadinessChecks.ForJournal(journal.Journal)]);
        await journal.Journal.AppendAsync([JournalRig.Event("t1")], CancellationToken.None);

        journal.Storage.DiskFull = true;
        await Assert.ThrowsAsync<Journal.JournalUnavailableException>(async () => await journal.Journal.AppendAsync([JournalRig.Event("t2")], CancellationToken.None));
        var (http, status, checks) = await ReadyAsync(host);

        Assert.Equal(503, http);
        Assert.Equal("not_ready", status);
        var j = checks.Single(c => c.Kind == "journal");
        Assert.Equal("failed", j.Status);
        Assert.StartsWith("appends refused: spool disk full;", j.Detail, StringComparison.Ordinal);
        Assert.Equal("ok", checks.Single(c => c.Kind == "listener").Status);

        journal.Storage.DiskFull = false;
        await WaitFor.ConditionAsync(() => journal.Journal.Health != Journal.JournalHealth.Unhealthy, "the spool to accept appends again");
        Assert.Equal(200, (await ReadyAsync(host)).Http);
    }

    [Fact]
    public async Task A_check_that_throws_counts_as_failed_with_its_message()
    {
        var broken = ReadinessChecks.From("broken", "journal", critical: true, () => throw new InvalidOperationException("state unreadable"));
        await using var host = await AdminHost.StartAsync([broken]);
        var (http, status, checks) = await ReadyAsync(host);
        Assert.Equal(503, http);
        Assert.Equal("not_ready", status);
        Assert.Equal("check failed: InvalidOperationException: state unreadable", checks[0].Detail);
    }

    [Fact]
    public async Task A_check_added_after_the_start_is_reported()
    {
        await using var host = await AdminHost.StartAsync();
        host.Server.AddCheck(ReadinessChecks.From("late", "connector", critical: false, () => ReadinessResult.Degraded("warming up")));
        var (http, status, checks) = await ReadyAsync(host);
        Assert.Equal(200, http);
        Assert.Equal("degraded", status);
        Assert.Equal(new Check("late", "connector", "degraded", "warming up"), Assert.Single(checks));
    }

    [Theory]
    [InlineData(CheckStatus.Ok, CheckStatus.Ok, ReadinessStatus.Ready)]
    [InlineData(CheckStatus.Ok, CheckStatus.Degraded, ReadinessStatus.Degraded)]
    [InlineData(CheckStatus.Ok, CheckStatus.Failed, ReadinessStatus.Degraded)]
    [InlineData(CheckStatus.Degraded, CheckStatus.Ok, ReadinessStatus.Degraded)]
    [InlineData(CheckStatus.Failed, CheckStatus.Ok, ReadinessStatus.NotReady)]
    [InlineData(CheckStatus.Failed, CheckStatus.Failed, ReadinessStatus.NotReady)]
    public void The_rule_critical_failed_is_not_ready_anything_else_not_ok_is_degraded(CheckStatus critical, CheckStatus other, ReadinessStatus expected)
    {
        IReadinessCheck[] checks =
        [
            ReadinessChecks.From("journal", "journal", critical: true, () => default),
            ReadinessChecks.From("issuer", "connector", critical: false, () => default),
        ];
        Assert.Equal(expected, ReadinessReport.Decide(checks, [new ReadinessResult(critical, ""), new ReadinessResult(other, "")]));
    }
}
