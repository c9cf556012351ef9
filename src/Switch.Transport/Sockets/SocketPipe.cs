using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace Switch.Transport.Sockets;

/// <summary>
/// A socket, or a TLS stream over it, as a duplex pipe with bounded buffers. Own implementation
/// rather than a library's for two reasons: closing is orderly (the output is sent to the last byte
/// and the send side shut down before the socket closes, so a reply written just before close
/// reaches the peer), and the session always runs on the thread pool — never on the socket event
/// thread, even with inline socket completions turned on.
/// </summary>
public sealed class SocketPipe : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Longest wait for unsent replies at close; a peer that stopped reading gets no more.</summary>
    private static readonly TimeSpan SendDrainMax = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly Task _receiving;
    private readonly Task _sending;

    /// <summary>Starts receiving and sending; the input pauses (TCP backpressure) once <paramref name="bufferBytesMax"/> is unread.</summary>
    public SocketPipe(Socket socket, SslStream? tls, long bufferBytesMax)
    {
        _socket = socket;
        _tls = tls;
        // Input: the session (reader) runs in the receive completion, or is handed to the thread pool when that
        // completion runs on the socket event thread. Output: sends are issued inline by
        // whoever flushes (no hop per reply); a writer paused by backpressure resumes on the thread pool.
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: bufferBytesMax, resumeWriterThreshold: bufferBytesMax / 2,
            readerScheduler: InlineSocketCompletions ? PipeScheduler.ThreadPool : PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pauseWriterThreshold: bufferBytesMax, resumeWriterThreshold: bufferBytesMax / 2,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false));
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    /// <summary>
    /// True when socket completions run on the socket event thread (the runtime's switch, read the way the
    /// runtime reads it). Then the session must be handed to the thread pool; otherwise a receive already
    /// completes on a thread-pool thread and the session runs there at once (no second hop per receive).
    /// </summary>
    public static bool InlineSocketCompletions { get; } = ReadInlineCompletions();

    private static bool ReadInlineCompletions()
    {
        if (AppContext.TryGetSwitch("System.Net.Sockets.InlineCompletions", out bool on)) return on;
        string? value = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        return value == "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Bytes received.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Bytes to send.</summary>
    public PipeWriter Output => _output.Writer;

    private ValueTask<int> ReceiveAsync(Memory<byte> memory) =>
        _tls is null ? _socket.ReceiveAsync(memory, SocketFlags.None) : _tls.ReadAsync(memory);

    private async ValueTask SendAsync(ReadOnlyMemory<byte> memory)
    {
        if (_tls is not null)
        {
            await _tls.WriteAsync(memory).ConfigureAwait(false);
            return;
        }
        while (!memory.IsEmpty)
        {
            int sent = await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false);
            memory = memory[sent..];
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(4096);
                int read = await ReceiveAsync(memory).ConfigureAwait(false);
                if (read == 0) break;
                writer.Advance(read);
                // Pauses when the session has not consumed enough: the socket is then not read (TCP backpressure).
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted) break;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
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
                foreach (var segment in buffer) await SendAsync(segment).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
            if (_tls is not null) await _tls.ShutdownAsync().ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The peer is gone; the writer sees a completed pipe on its next flush.
        }
        await reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Sends what is left (bounded in time: a peer that stopped reading gets no more), then closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _sending.WaitAsync(SendDrainMax).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_tls is not null) await _tls.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
    }
}
