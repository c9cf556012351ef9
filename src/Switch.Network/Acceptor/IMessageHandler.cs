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

/// <summary>
/// What the acceptor read of a request it could not decode: the 30 answer it built (MTI + 10, the echo fields read
/// before the error, DE39 30), the fields decoded before the error, the message's bytes (a copy, from the spec's header
/// on) and where decoding stopped.
/// </summary>
public sealed record FormatError(IsoMessage Answer, IsoMessage Partial, ReadOnlyMemory<byte> Raw, int Field, int Offset);

/// <summary>
/// Implemented by a handler that also answers what the acceptor could not decode (the core journals the 30 and signs it
/// when the terminal's MAC verifies). Without it — or when it fails — the acceptor sends <see cref="FormatError.Answer"/>.
/// </summary>
public interface IFormatErrorHandler
{
    /// <summary>The answer to send (usually <see cref="FormatError.Answer"/>, signed or not), once it may go out.</summary>
    ValueTask<IsoMessage> AnswerFormatErrorAsync(FormatError error, SessionContext session, CancellationToken ct);
}
