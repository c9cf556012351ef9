using System.Buffers;
using System.Net.Sockets;
using Switch.Transport.Framing;

namespace Switch.Simulators.Card;

/// <summary>
/// One TCP connection seen as frames, for the simulators: reads whole messages (keep-alives skipped), writes framed
/// messages or raw bytes (to misbehave on purpose). One reader and one writer at a time; the writer is gated.
/// </summary>
public sealed class FramedStream : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _start;
    private int _end;

    /// <summary>Wraps a connected socket; the stream owns it.</summary>
    public FramedStream(Socket socket, FrameFormat format)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Format = format;
        _buffer = new byte[format.OverheadBytes + format.Length.FrameBytesMax + 16];
    }

    /// <summary>The framing rules.</summary>
    public FrameFormat Format { get; }

    /// <summary>Connects to host:port within <paramref name="timeoutMs"/>.</summary>
    public static async Task<FramedStream> ConnectAsync(string host, int port, FrameFormat format, int timeoutMs, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeoutMs);
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"connect to {host}:{port} did not complete within {timeoutMs} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new FramedStream(socket, format);
    }

    /// <summary>
    /// The next message (header bytes in <paramref name="header"/> when the format has one); null when the peer closed
    /// the connection between frames. Throws <see cref="FrameFormatException"/> for a bad frame, <see cref="IOException"/>
    /// when the connection ends inside one.
    /// </summary>
    public async Task<byte[]?> ReadMessageAsync(byte[]? header, CancellationToken ct)
    {
        var scratch = new byte[Math.Max(1, Format.Header.Length)];
        while (true)
        {
            if (TryTake(scratch, out byte[]? message))
            {
                if (message is null) continue; // keep-alive
                if (header is not null) scratch.AsSpan(0, Math.Min(header.Length, Format.Header.Length)).CopyTo(header);
                return message;
            }
            Compact();
            if (_end == _buffer.Length) throw new FrameFormatException($"no complete frame within {_buffer.Length} bytes");
            int n;
            try
            {
                n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            }
            catch (IOException) when (_start == _end)
            {
                return null; // reset between frames: the same as a close
            }
            if (n == 0)
            {
                if (_start == _end) return null;
                throw new IOException($"connection closed inside a frame ({_end - _start} bytes of it received)");
            }
            _end += n;
        }
    }

    /// <summary>Takes one frame from the buffer: true with the message, or with null for a keep-alive.</summary>
    private bool TryTake(byte[] header, out byte[]? message)
    {
        message = null;
        if (_start == _end) return false;
        var sequence = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
        long before = sequence.Length;
        if (!Format.TryReadMessage(ref sequence, header, out var body)) return false;
        _start += (int)(before - sequence.Length);
        if (!body.IsEmpty) message = body.ToArray();
        return true;
    }

    private void Compact()
    {
        if (_start == 0) return;
        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _end -= _start;
        _start = 0;
    }

    /// <summary>Frames and sends one message.</summary>
    public async Task WriteMessageAsync(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        var writer = new ArrayBufferWriter<byte>(Format.OverheadBytes + message.Length);
        Span<byte> h = stackalloc byte[Format.Header.Length];
        header.Span[..Math.Min(header.Length, h.Length)].CopyTo(h);
        Format.WriteFrame(writer, h, message.Span);
        await WriteRawAsync(writer.WrittenMemory, ct).ConfigureAwait(false);
    }

    /// <summary>Sends bytes as they are (no framing): for garbage on purpose.</summary>
    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Closes the connection at once (the peer sees a close).</summary>
    public void Close()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
        _stream.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeGate.Dispose();
    }
}
