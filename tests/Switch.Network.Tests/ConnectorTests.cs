using Switch.Network.Connector;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>Connectors sign on, carry requests, balance over connections, reconnect, and report health.</summary>
public sealed class ConnectorTests
{
    [Fact]
    public async Task A_connector_signs_on_to_an_acceptor_and_reports_signed_on()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        Assert.Equal(EndpointHealth.SignedOn, connector.Health);
        Assert.Equal(1, listener.Metrics.Snapshot().FramesIn);
    }

    [Fact]
    public async Task Echo_tests_run_on_the_configured_interval()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.NetworkManagement.EchoIntervalMs = 50;
        await using var connector = await ConnectorSupport.StartAsync(options);
        await WaitFor.ConditionAsync(() => listener.Metrics.Snapshot().FramesOut >= 4);
        Assert.Equal(EndpointHealth.SignedOn, connector.Health);
    }

    [Fact]
    public async Task A_request_whose_terminal_id_is_shorter_than_the_field_still_gets_its_response()
    {
        // DE 41 is fixed at 8: "TERM 01" is padded when set, so the request's key matches the reply's.
        await using var listener = await TestSupport.StartListenerAsync(handler: new ApprovingHandler());
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var result = await connector.SendAsync(TestSupport.Authorization("000322", terminal: "TERM 01"));
        Assert.Equal(MuxStatus.Answered, result.Status);
        Assert.Equal("TERM 01 ", result.Response?[41]);
    }

    [Fact]
    public async Task A_request_gets_its_matching_response()
    {
        await using var listener = await TestSupport.StartListenerAsync(handler: new ApprovingHandler());
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var result = await connector.SendAsync(TestSupport.Authorization("000321"));
        Assert.Equal(MuxStatus.Answered, result.Status);
        Assert.Equal("0210", result.Response?.Mti);
        Assert.Equal("000321", result.Response?[11]);
        Assert.Equal("00", result.Response?[39]);
    }

    [Fact]
    public async Task Round_robin_spreads_requests_over_every_connection()
    {
        var handler = new ApprovingHandler();
        await using var listener = await TestSupport.StartListenerAsync(handler: handler);
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.ConnectionsPerEndpoint = 3;
        await using var connector = await ConnectorSupport.StartAsync(options);
        await WaitFor.ConditionAsync(() => connector.Health == EndpointHealth.SignedOn);
        for (int i = 1; i <= 30; i++) Assert.True((await connector.SendAsync(TestSupport.Authorization(i.ToString("D6")))).IsAnswered);
        Assert.Equal(3, handler.RequestsPerSession.Count);
        Assert.All(handler.RequestsPerSession.Values, n => Assert.Equal(10, n));
    }

    [Fact]
    public async Task Primary_backup_uses_the_backup_only_while_the_primary_is_down()
    {
        var primaryHandler = new ApprovingHandler();
        var backupHandler = new ApprovingHandler();
        var primary = await TestSupport.StartListenerAsync(TestSupport.ListenerOptions("primary"), primaryHandler);
        await using var backup = await TestSupport.StartListenerAsync(TestSupport.ListenerOptions("backup"), backupHandler);
        var options = ConnectorSupport.Options(primary.LocalEndPoint, backup.LocalEndPoint);
        options.Strategy = "primary-backup";
        await using var connector = await ConnectorSupport.StartAsync(options);
        await WaitFor.ConditionAsync(() => connector.Health == EndpointHealth.SignedOn);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000001"))).IsAnswered);
        await primary.DisposeAsync();
        await WaitFor.ConditionAsync(() => connector.Health == EndpointHealth.Degraded);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000002"))).IsAnswered);
        Assert.Equal(1, primaryHandler.RequestsPerSession.Values.Sum());
        Assert.Equal(1, backupHandler.RequestsPerSession.Values.Sum());
    }

    [Fact]
    public async Task The_connector_reconnects_and_signs_on_again_after_the_peer_restarts()
    {
        var first = await TestSupport.StartListenerAsync();
        var endpoint = first.LocalEndPoint;
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(endpoint));
        await first.DisposeAsync();
        await WaitFor.ConditionAsync(() => connector.Health == EndpointHealth.Down);
        Assert.Equal(MuxStatus.NotConnected, (await connector.SendAsync(TestSupport.Authorization("000001"))).Status);
        var options = TestSupport.ListenerOptions();
        options.Port = endpoint.Port;
        await using var second = await TestSupport.StartListenerAsync(options, new ApprovingHandler());
        await WaitFor.ConditionAsync(() => connector.Health == EndpointHealth.SignedOn);
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000002"))).IsAnswered);
    }

    [Fact]
    public async Task A_connector_with_no_reachable_endpoint_is_down_and_refuses_requests()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var closed = (System.Net.IPEndPoint)probe.LocalEndpoint;
        probe.Stop();
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(closed), waitUsable: false);
        await Task.Delay(200);
        Assert.Equal(EndpointHealth.Down, connector.Health);
        var result = await connector.SendAsync(TestSupport.Authorization("000001"));
        Assert.Equal(MuxStatus.NotConnected, result.Status);
        Assert.Contains("no usable connection", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_sign_on_leaves_the_connection_unusable()
    {
        await using var listener = await TestSupport.StartListenerAsync(handler: new RefusingSignOnHandler());
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Reconnect.InitialDelayMs = 500;
        options.Reconnect.DelayMsMax = 500;
        await using var connector = await ConnectorSupport.StartAsync(options, waitUsable: false);
        await Task.Delay(300);
        Assert.False(connector.IsUsable);
        Assert.NotEqual(EndpointHealth.SignedOn, connector.Health);
    }

    [Fact]
    public async Task A_peer_that_keeps_refusing_sign_on_is_retried_with_growing_delays()
    {
        await using var listener = await TestSupport.StartListenerAsync(handler: new RefusingSignOnHandler());
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Reconnect.InitialDelayMs = 50;
        options.Reconnect.DelayMsMax = 400;
        await using var connector = await ConnectorSupport.StartAsync(options, waitUsable: false);
        await Task.Delay(1500);
        // At a fixed 50 ms it would be ~30 attempts; doubling to 400 ms gives ~7.
        Assert.InRange(listener.Metrics.Snapshot().ConnectionsOpened, 2, 12);
    }

    [Fact]
    public async Task A_tpdu_sent_by_the_connector_comes_back_with_the_nii_swapped()
    {
        var listenerOptions = TestSupport.ListenerOptions();
        listenerOptions.Framing.Header = "tpdu";
        await using var listener = await TestSupport.StartListenerAsync(listenerOptions, new ApprovingHandler());
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Framing.Header = "tpdu";
        options.Framing.OutgoingHeaderHex = "6000030004";
        options.NetworkManagement.SignOnRequired = false;
        await using var connector = await ConnectorSupport.StartAsync(options);
        // The connector validates replies' TPDU id; a wrong swap would still decode, so check the bytes on a raw socket too.
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000001"))).IsAnswered);
        await using var raw = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var message = TestSupport.Spec.Encode(TestSupport.Echo("000002"));
        await raw.SendAsync(TestSupport.Binary2([0x60, 0x00, 0x03, 0x00, 0x04, .. message]));
        var frame = await raw.ReadFrameAsync();
        Assert.Equal(new byte[] { 0x60, 0x00, 0x04, 0x00, 0x03 }, frame![..5]);
    }

    private sealed class RefusingSignOnHandler : Switch.Network.Acceptor.IMessageHandler
    {
        public ValueTask<Switch.Iso8583.Message.IsoMessage?> HandleAsync(Switch.Iso8583.Message.IsoMessage request,
            Switch.Network.Acceptor.SessionContext session, CancellationToken ct) =>
            ValueTask.FromResult<Switch.Iso8583.Message.IsoMessage?>(Switch.Network.Management.MessageTypes.Respond(request, "91"));
    }
}

/// <summary>Every framing works end to end between a connector and an acceptor over a real socket.</summary>
public sealed class FramingEndToEndTests
{
    [Theory]
    [InlineData("binary2", "none", null)]
    [InlineData("binary2-inclusive", "none", null)]
    [InlineData("bcd2", "tpdu", "6000120034")]
    [InlineData("ascii4", "fixed", "49534F")]
    [InlineData("none", "none", null)]
    [InlineData("none", "fixed", "4844")]
    public async Task A_connector_and_an_acceptor_exchange_sign_on_and_requests(string length, string header, string? outgoingHex)
    {
        int headerBytes = outgoingHex is null ? 0 : outgoingHex.Length / 2;
        var listenerOptions = TestSupport.ListenerOptions();
        listenerOptions.Framing = new Switch.Network.Config.FramingOptions { Length = length, Header = header, HeaderBytes = header == "fixed" ? headerBytes : 0 };
        await using var listener = await TestSupport.StartListenerAsync(listenerOptions, new ApprovingHandler());
        var options = ConnectorSupport.Options(listener.LocalEndPoint);
        options.Framing = new Switch.Network.Config.FramingOptions
        {
            Length = length,
            Header = header,
            HeaderBytes = header == "fixed" ? headerBytes : 0,
            OutgoingHeaderHex = outgoingHex,
        };
        await using var connector = await ConnectorSupport.StartAsync(options);
        var results = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => connector.SendAsync(TestSupport.Authorization(i.ToString("D6"))).AsTask()));
        Assert.All(results, r => Assert.True(r.IsAnswered, r.Error));
        Assert.Equal(0, listener.Metrics.Snapshot().MalformedFrames);
    }
}

/// <summary>Several listeners in one process, each with its own spec and framing.</summary>
public sealed class MultipleListenerTests
{
    [Fact]
    public async Task A_pos_listener_and_an_atm_listener_with_different_specs_and_framings_serve_side_by_side()
    {
        var pos = TestSupport.ListenerOptions("pos");
        var atm = TestSupport.ListenerOptions("atm");
        atm.Spec = "iso8583-1987-ascii";
        atm.Framing = new Switch.Network.Config.FramingOptions { Length = "ascii4", Header = "tpdu" };
        TestSupport.Validate(new Switch.Network.Config.NetworkConfig { Listeners = [pos, atm] });
        await using var posListener = await TestSupport.StartListenerAsync(pos, new ApprovingHandler());
        await using var atmListener = await TestSupport.StartListenerAsync(atm, new ApprovingHandler());
        var posConnector = ConnectorSupport.Options(posListener.LocalEndPoint);
        var atmConnector = ConnectorSupport.Options(atmListener.LocalEndPoint);
        atmConnector.Name = "atm-side";
        atmConnector.Spec = "iso8583-1987-ascii";
        atmConnector.Framing = new Switch.Network.Config.FramingOptions { Length = "ascii4", Header = "tpdu", OutgoingHeaderHex = "6000010002" };
        await using var toPos = await ConnectorSupport.StartAsync(posConnector);
        await using var toAtm = await ConnectorSupport.StartAsync(atmConnector);
        var atmSpec = Switch.Iso8583.Spec.SpecCatalog.BuiltIn("iso8583-1987-ascii");
        var atmRequest = atmSpec.NewMessage("0200").Set(3, "010000").Set(4, "000000002000").Set(11, "000042").Set(41, "ATM00001");
        var posResult = await toPos.SendAsync(TestSupport.Authorization("000042"));
        var atmResult = await toAtm.SendAsync(atmRequest);
        Assert.True(posResult.IsAnswered, posResult.Error);
        Assert.True(atmResult.IsAnswered, atmResult.Error);
        Assert.Equal("ATM00001", atmResult.Response?[41]);
        Assert.Equal(0, posListener.Metrics.Snapshot().MalformedFrames + atmListener.Metrics.Snapshot().MalformedFrames);
    }
}
