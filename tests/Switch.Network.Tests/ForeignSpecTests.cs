using System.Diagnostics;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Management;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>
/// A message decoded by a listener of one spec object can leave on a connector of another: with one registry the
/// objects are the same; across specs the message is re-encoded field by field, or refused as SendFailed at once
/// (the connector never throws, and no pending entry is left waiting for its timeout).
/// </summary>
public sealed class ForeignSpecTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"switch-foreign-{Guid.NewGuid():N}");

    public ForeignSpecTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SpecFile(string builtIn)
    {
        string path = Path.Combine(_dir, builtIn + ".json");
        File.WriteAllText(path, SpecCatalog.BuiltInJson(builtIn));
        return path;
    }

    [Fact]
    public async Task A_listener_and_a_connector_naming_one_spec_file_share_one_spec_and_a_request_is_forwarded()
    {
        var specs = new SpecRegistry();
        string file = SpecFile("iso8583-1987-binary");
        var issuerOptions = TestSupport.ListenerOptions("issuer");
        issuerOptions.Spec = file;
        await using var issuer = new IsoListener(issuerOptions, specs, new ApprovingHandler());
        issuer.Start();
        var toIssuer = ConnectorSupport.Options(issuer.LocalEndPoint);
        // The same file by another path: one canonical name, one object.
        toIssuer.Spec = Path.Combine(_dir, ".", "iso8583-1987-binary.json");
        await using var connector = new IsoConnector(toIssuer, specs);
        connector.Start();
        Assert.True(await connector.WaitUsableAsync(TestSupport.Timeout, CancellationToken.None));
        var acquirerOptions = TestSupport.ListenerOptions("acquirer");
        acquirerOptions.Spec = file;
        await using var acquirer = new IsoListener(acquirerOptions, specs, new ForwardingHandler(connector));
        acquirer.Start();
        Assert.Same(connector.Spec, specs.Resolve(file));

        await using var terminal = await RawClient.ConnectAsync(acquirer.LocalEndPoint);
        await terminal.SendMessageAsync(TestSupport.Authorization("000901"));
        var answer = await terminal.ReadMessageAsync();

        Assert.Equal("0210", answer?.Mti);
        Assert.Equal("00", answer?[39]);
        Assert.Equal(0, connector.Mux.PendingCount);
    }

    [Fact]
    public async Task A_request_of_another_dialect_is_re_encoded_into_the_connectors_spec_and_answered()
    {
        await using var issuer = await TestSupport.StartListenerAsync(handler: new ApprovingHandler());
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(issuer.LocalEndPoint));
        var ascii = TestSupport.Specs.Resolve("iso8583-1987-ascii");
        var request = ascii.NewMessage("0200").Set(2, "4111111111111111").Set(3, "000000").Set(4, "000000001000").Set(11, "000902").Set(41, "TERM0001");

        var result = await connector.SendAsync(request, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(MuxStatus.Answered, result.Status);
        Assert.Same(connector.Spec, result.Response!.Spec);
        Assert.Equal("000000001000", result.Response[4]);
        Assert.Equal(0, connector.Mux.PendingCount);
    }

    [Fact]
    public async Task A_request_whose_field_does_not_fit_the_connectors_spec_is_refused_at_once_as_send_failed()
    {
        await using var issuer = await TestSupport.StartListenerAsync(handler: new ApprovingHandler());
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(issuer.LocalEndPoint));
        // DE 12 is n12 (date and time) in 1993 and n6 (time) in 1987: it cannot be carried over.
        var iso93 = TestSupport.Specs.Resolve("iso8583-1993-binary");
        var request = iso93.NewMessage("1200").Set(3, "000000").Set(11, "000903").Set(12, "261204101500").Set(41, "TERM0001");
        var clock = Stopwatch.StartNew();

        var result = await connector.SendAsync(request, TimeSpan.FromSeconds(20), CancellationToken.None);

        Assert.Equal(MuxStatus.SendFailed, result.Status);
        Assert.Contains("field 12", result.Error, StringComparison.Ordinal);
        Assert.Contains("iso8583-1993-binary", result.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusal took {clock.Elapsed}");
        Assert.Equal(0, connector.Mux.PendingCount);
        Assert.Equal(1, issuer.Metrics.Snapshot().FramesIn); // the sign-on only: nothing of the refused request was sent
        Assert.True((await connector.SendAsync(TestSupport.Authorization("000904"), TimeSpan.FromSeconds(5), CancellationToken.None)).IsAnswered);
    }

    [Fact]
    public async Task A_handler_answering_with_a_message_of_another_dialect_has_it_re_encoded_on_the_listeners_connection()
    {
        var ascii = TestSupport.Specs.Resolve("iso8583-1987-ascii");
        await using var listener = await TestSupport.StartListenerAsync(handler: new OtherDialectHandler(ascii));
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendMessageAsync(TestSupport.Authorization("000905"));
        var answer = await client.ReadMessageAsync();
        Assert.Equal("0210", answer?.Mti);
        Assert.Equal("000905", answer?[11]);
        Assert.Equal("00", answer?[39]);
    }

    /// <summary>The pipeline's shape: a request from the acquirer side leaves on the connector, its answer goes back.</summary>
    private sealed class ForwardingHandler(IsoConnector connector) : IMessageHandler
    {
        public async ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
        {
            var result = await connector.SendAsync(request, TimeSpan.FromSeconds(5), ct);
            return result.IsAnswered ? result.Response : MessageTypes.Respond(request, ResponseCode.IssuerOrSwitchInoperative);
        }
    }

    private sealed class OtherDialectHandler(MessageSpec other) : IMessageHandler
    {
        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct) =>
            ValueTask.FromResult<IsoMessage?>(other.NewMessage("0210").Set(11, request[11]!).Set(39, ResponseCode.Approved));
    }
}
