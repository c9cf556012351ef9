using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Switch.Common.Configuration;
using Switch.Iso8583.Spec;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Management;

namespace Switch.Admin.Tests;

/// <summary>Real listeners and connectors on loopback, as the network tests build them.</summary>
internal static class NetworkRig
{
    public static readonly SpecRegistry Specs = new();

    private static void Validate(NetworkConfig config)
    {
        using var document = JsonDocument.Parse("{}");
        config.Validate(new ConfigSection("switch.json", "network", document.RootElement.Clone()), Specs);
    }

    public static IsoListener StartListener(string name = "pos", IMessageHandler? handler = null)
    {
        var options = new ListenerOptions
        {
            Name = name, Bind = "127.0.0.1", Port = 0,
            Limits = new LimitOptions { IdleTimeoutMs = 30_000, PartialFrameTimeoutMs = 5_000, DrainTimeoutMs = 1_000 },
        };
        Validate(new NetworkConfig { Listeners = [options] });
        var listener = new IsoListener(options, Specs, handler ?? new NetworkManagementHandler(), TestLog.Logger);
        listener.Start();
        return listener;
    }

    /// <summary>A connector to <paramref name="endpoints"/> (signs on with 0800 where the peer is a listener).</summary>
    public static IsoConnector StartConnector(string name, params string[] endpoints) => StartConnector(name, signOnRequired: true, endpoints);

    /// <summary>A connector to <paramref name="endpoints"/>, signing on or not.</summary>
    public static IsoConnector StartConnector(string name, bool signOnRequired, params string[] endpoints)
    {
        var options = new ConnectorOptions
        {
            Name = name,
            Endpoints = [.. endpoints],
            Reconnect = new ReconnectOptions { InitialDelayMs = 20, DelayMsMax = 200, ConnectTimeoutMs = 2_000 },
            NetworkManagement = new NetworkManagementOptions { EchoIntervalMs = 0, ResponseTimeoutMs = 20_000, SignOnRequired = signOnRequired },
            Mux = new MuxOptions { TimeoutMs = 2_000 },
            Limits = new LimitOptions { IdleTimeoutMs = 30_000, PartialFrameTimeoutMs = 5_000 },
        };
        Validate(new NetworkConfig { Connectors = [options] });
        var connector = new IsoConnector(options, Specs, TestLog.Logger);
        connector.Start();
        return connector;
    }

    public static string EndpointOf(IsoListener listener) => $"127.0.0.1:{listener.LocalEndPoint.Port}";

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static async Task WaitSignedOnAsync(IsoConnector connector) =>
        await WaitFor.ConditionAsync(() => connector.Health == EndpointHealth.SignedOn, $"connector {connector.Name} signed on");
}

/// <summary>A peer that never answers: a connector to it stays connected with its sign-on pending (up to the response timeout).</summary>
internal sealed class SilentHandler : IMessageHandler
{
    public ValueTask<Switch.Iso8583.Message.IsoMessage?> HandleAsync(Switch.Iso8583.Message.IsoMessage request, SessionContext session, CancellationToken ct) =>
        ValueTask.FromResult<Switch.Iso8583.Message.IsoMessage?>(null);
}
