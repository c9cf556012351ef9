using System.Net;
using Switch.Iso8583.Message;

namespace Switch.Network.Acceptor;

/// <summary>
/// The seam the transaction pipeline plugs into: called once per decoded request of an accepted
/// connection; the returned message (or none) is framed and sent back on the same connection.
/// Calls for one connection may overlap up to the listener's in-flight limit.
/// </summary>
public interface IMessageHandler
{
    /// <summary>Handles one request; the message is owned by the handler (it does not refer to network buffers).</summary>
    ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct);
}

/// <summary>Who sent a request: the listener and connection it came on.</summary>
public sealed class SessionContext(string listener, long sessionId, EndPoint? remote)
{
    /// <summary>Listener name.</summary>
    public string Listener { get; } = listener;

    /// <summary>Connection number, unique within the process.</summary>
    public long SessionId { get; } = sessionId;

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint { get; } = remote;
}
