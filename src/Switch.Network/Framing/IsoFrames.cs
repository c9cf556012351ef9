using System.Buffers;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Transport.Sockets;

namespace Switch.Network.Framing;

/// <summary>ISO 8583 messages onto a <see cref="FramedConnection"/>: encoded into a per-thread scratch buffer, then framed (nothing allocated per message).</summary>
internal static class IsoFrames
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>
    /// Encodes into this thread's scratch buffer (a message of another spec is re-encoded into this one, or refused
    /// with <see cref="Switch.Iso8583.IsoFormatException"/>); the bytes stay valid until the next encode on the same thread.
    /// </summary>
    private static ReadOnlySpan<byte> Encode(MessageSpec spec, IsoMessage message)
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(512);
        scratch.ResetWrittenCount();
        spec.Encode(SpecConversion.To(message, spec), scratch);
        return scratch.WrittenSpan;
    }

    /// <summary>Encodes and frames a message into the output (the caller holds the write gate; not yet flushed).</summary>
    public static void Write(FramedConnection conn, MessageSpec spec, IsoMessage message, ReadOnlySpan<byte> header) =>
        conn.WriteFrame(header, Encode(spec, message));

    /// <summary>Encodes now (errors reach the caller) and queues the frame for the connection's batched writer.</summary>
    public static bool Enqueue(FramedConnection conn, MessageSpec spec, IsoMessage message, ReadOnlySpan<byte> header)
    {
        if (conn.CloseReason is not null) return false;
        return conn.Enqueue(header, Encode(spec, message));
    }

    /// <summary>Takes the write gate, writes one message and flushes.</summary>
    public static async ValueTask<bool> SendAsync(FramedConnection conn, MessageSpec spec, IsoMessage message, ReadOnlyMemory<byte> header, CancellationToken ct)
    {
        await conn.EnterWriteAsync(ct).ConfigureAwait(false);
        try
        {
            // Encoded inside the gate, with no await between encode and write: the scratch buffer is this thread's.
            Write(conn, spec, message, header.Span);
            return await conn.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            conn.ExitWrite();
        }
    }
}
