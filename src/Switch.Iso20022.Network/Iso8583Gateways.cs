using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Network.Connector;
using Switch.Network.Mux;

namespace Switch.Iso20022.Network;

/// <summary>How a translated payment sent to an ISO 8583 connector ended: its response, or why none, as an ISO 20022 reason code.</summary>
public readonly record struct Iso8583Outcome(IsoMessage? Response, string? FailureReason, string? Detail);

/// <summary>An ISO 8583 connector a BIC route names: payments reach it translated (pacs.008 → 0200) and its 0210 comes back as a pacs.002.</summary>
public interface IIso8583Gateway
{
    /// <summary>The destination name (the connector's name).</summary>
    string Name { get; }

    /// <summary>The connector's message spec: the translation builds the request in it.</summary>
    MessageSpec Spec { get; }

    /// <summary>The STAN (DE 11) the request gets before it is journaled and sent; null keeps the one the translation derived.</summary>
    string? NextStan();

    /// <summary>Sends a request and waits, within the gateway's timeout, for its response.</summary>
    ValueTask<Iso8583Outcome> SendAsync(IsoMessage request, CancellationToken ct);
}

/// <summary>The real connector as a gateway: a fresh STAN from the connector, its MUX's outcome as a reason code.</summary>
public sealed class IsoConnectorGateway(IsoConnector connector, TimeSpan timeout) : IIso8583Gateway
{
    /// <inheritdoc/>
    public string Name => connector.Name;

    /// <inheritdoc/>
    public MessageSpec Spec => connector.Spec;

    /// <inheritdoc/>
    public string? NextStan() => connector.NextStan(); // the translation derives DE 11 from the payment's ids; the connector's counter keeps in-flight keys unique

    /// <inheritdoc/>
    public async ValueTask<Iso8583Outcome> SendAsync(IsoMessage request, CancellationToken ct)
    {
        MuxResult result = await connector.SendAsync(request, timeout, ct).ConfigureAwait(false);
        return result.Status switch
        {
            MuxStatus.Answered => new Iso8583Outcome(result.Response, null, null),
            MuxStatus.TimedOut => new Iso8583Outcome(null, PeerOutcome.Timeout, $"{Name} did not answer within {timeout.TotalMilliseconds:0} ms"),
            MuxStatus.NotConnected or MuxStatus.PendingTableFull => new Iso8583Outcome(null, PeerOutcome.Offline, $"{Name}: {result.Status} {result.Error}"),
            _ => new Iso8583Outcome(null, PeerOutcome.Error, $"{Name}: {result.Status} {result.Error}"),
        };
    }
}

/// <summary>A gateway over a delegate (the host's own send, e.g. through the core's issuer gateway); null means no answer in time.</summary>
public sealed class DelegateIso8583Gateway(string name, MessageSpec spec, Func<IsoMessage, CancellationToken, ValueTask<IsoMessage?>> send) : IIso8583Gateway
{
    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public MessageSpec Spec => spec;

    /// <inheritdoc/>
    public string? NextStan() => null;

    /// <inheritdoc/>
    public async ValueTask<Iso8583Outcome> SendAsync(IsoMessage request, CancellationToken ct)
    {
        IsoMessage? response = await send(request, ct).ConfigureAwait(false);
        return response is null ? new Iso8583Outcome(null, PeerOutcome.Timeout, $"{name} gave no answer") : new Iso8583Outcome(response, null, null);
    }
}
