using System.IO.Pipelines;

namespace Switch.Network.Framing;

/// <summary>A duplex pipe over a stream (TLS): reads bounded by the buffer size, the stream closed on dispose.</summary>
internal sealed class StreamDuplexPipe : IDuplexPipe, IDisposable
{
    private readonly Stream _stream;

    public StreamDuplexPipe(Stream stream, int maxFrameBytes)
    {
        _stream = stream;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: Math.Max(4096, Math.Min(maxFrameBytes, 65536)), leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public void Dispose() => _stream.Dispose();
}
