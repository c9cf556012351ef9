using Switch.Iso8583.Vocabulary;
using Switch.Iso8583.Message;
using Switch.Network.Acceptor;

namespace Switch.Network.Management;

/// <summary>
/// Answers peers' 0800 network management requests (sign-on 001, sign-off 002, echo 301) with 0810
/// DE 39 = 00 and passes every other message to the next handler — the transaction pipeline once the
/// core plugs in; without one, requests are declined with DE 39 = 91 (switch inoperative).
/// </summary>
public sealed class NetworkManagementHandler(IMessageHandler? next = null) : IMessageHandler
{
    /// <inheritdoc/>
    public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
    {
        if (MessageTypes.IsNetworkManagementRequest(request))
        {
            // Any DE 70 code gets an answer: an unknown code is still proof the link is alive.
            return ValueTask.FromResult<IsoMessage?>(MessageTypes.Respond(request, ResponseCode.Approved));
        }
        if (next is not null) return next.HandleAsync(request, session, ct);
        IsoMessage? decline = Mti.ExpectsResponse(request.Mti) ? MessageTypes.Respond(request, ResponseCode.IssuerOrSwitchInoperative) : null;
        return ValueTask.FromResult(decline);
    }
}
