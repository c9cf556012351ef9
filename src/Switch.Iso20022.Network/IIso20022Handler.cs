using System.Net;

namespace Switch.Iso20022.Network;

/// <summary>
/// The seam both transports feed (TCP listener and HTTP server): a validated document in, the status message out
/// (e.g. a pacs.002 for a pacs.008), journaled before it is returned. <see cref="Iso20022Router"/> is the switch's.
/// </summary>
public interface IIso20022Handler
{
    /// <summary>Handles one validated document; the answer's bytes are a schema-valid ISO 20022 message.</summary>
    ValueTask<Iso20022Answer> HandleAsync(Iso20022Document document, Iso20022Origin origin, CancellationToken ct);

    /// <summary>
    /// Records a frame the reader refused (journal leg <c>Rejected</c>) and returns the group rejection a TCP peer is
    /// answered with (pacs.002 RJCT FF01 carrying the first error); the HTTP server answers 400 instead.
    /// </summary>
    ValueTask<Iso20022Answer> RefusedAsync(Iso20022Exception error, Iso20022Origin origin, CancellationToken ct);
}

/// <summary>Where a document came from: the transport ("tcp" or "http"), the listener's name and the peer.</summary>
public sealed record Iso20022Origin(string Transport, string Listener, EndPoint? Remote);

/// <summary>The answer to one document: the XML, its message name, and the status (ACSC, RJCT …) with its reason.</summary>
public sealed record Iso20022Answer(byte[] Document, string MessageName, string Status, string? Reason);

/// <summary>The switch cannot answer now (the journal refused the legs): HTTP 503, and a TCP peer gets no answer.</summary>
public sealed class Iso20022UnavailableException(string message, Exception? inner = null) : Exception(message, inner);
