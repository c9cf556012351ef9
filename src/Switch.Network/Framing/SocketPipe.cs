using System.IO.Pipelines;
using System.Net.Sockets;

namespace Switch.Network.Framing;

/// <summary>
/// A socket as a duplex pipe with bounded buffers. Own implementation rather than a library's so
/// that closing is orderly: the output is sent to the last byte and the send side shut down before
/// the socket is closed (a reply written just before close must reach the peer).
/// </summary>
internal sealed class SocketPipe : IDuplexPipe, IDisposable
{
    /// <summary>Longest wait for unsent replies at close; a peer that stopped reading gets no more.</summary>
    private static readonly TimeSpan SendDrainMax = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly Task _receiving;
    private readonly Task _sending;

    public SocketPipe(Socket socket, long bufferBytesMax)
    {
        _socket = socket;
        // The reader of the input (the session) runs on the thread pool; sends are issued inline by the
        // thread that flushes, saving a thread hop per reply.
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: bufferBytesMax, resumeWriterThreshold: bufferBytesMax / 2,
            readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pauseWriterThreshold: bufferBytesMax, resumeWriterThreshold: bufferBytesMax / 2,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(4096);
                int read = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (read == 0) break;
                writer.Advance(read);
                // Pauses when the session has not consumed enough: the socket is then not read (TCP backpressure).
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted) break;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = ex is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.OperationAborted } ? null : ex;
        }
        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    for (var left = segment; !left.IsEmpty;)
                    {
                        int sent = await _socket.SendAsync(left, SocketFlags.None).ConfigureAwait(false);
                        left = left[sent..];
                    }
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer is gone; the writer sees a completed pipe on its next flush.
        }
        await reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Sends what is left (bounded in time), then closes the socket.</summary>
    public void Dispose()
    {
        _output.Writer.Complete();
        _sending.Wait(SendDrainMax);
        _socket.Dispose();
        _input.Reader.Complete();
    }
}
