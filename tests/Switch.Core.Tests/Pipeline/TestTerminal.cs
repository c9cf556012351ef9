using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Core.Tests.Pipeline;

/// <summary>A terminal on loopback TCP with binary2 framing: sends requests (or raw bytes) and reads answers in order.</summary>
internal sealed class TestTerminal : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly MessageSpec _spec;

    private TestTerminal(MessageSpec spec) => _spec = spec;

    public static async Task<TestTerminal> ConnectAsync(IPEndPoint endpoint, MessageSpec spec)
    {
        var terminal = new TestTerminal(spec);
        await terminal._socket.ConnectAsync(endpoint);
        return terminal;
    }

    public Task SendAsync(IsoMessage message) => SendRawAsync(_spec.Encode(message));

    public async Task SendRawAsync(byte[] body)
    {
        var frame = new byte[body.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)body.Length);
        body.CopyTo(frame, 2);
        await _socket.SendAsync(frame, SocketFlags.None);
    }

    public async Task<IsoMessage> ReceiveAsync()
    {
        var prefix = await ReadExactlyAsync(2);
        var body = await ReadExactlyAsync(BinaryPrimitives.ReadUInt16BigEndian(prefix));
        return _spec.Decode(body.AsMemory());
    }

    /// <summary>The next frame if one starts arriving within <paramref name="within"/>; null when nothing came (the connection is then done with).</summary>
    public async Task<IsoMessage?> TryReceiveAsync(TimeSpan within)
    {
        var first = new byte[1];
        using var wait = new CancellationTokenSource(within);
        int n;
        try
        {
            n = await _socket.ReceiveAsync(first, SocketFlags.None, wait.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        if (n == 0) throw new IOException("connection closed");
        var second = await ReadExactlyAsync(1);
        var body = await ReadExactlyAsync((first[0] << 8) | second[0]);
        return _spec.Decode(body.AsMemory());
    }

    public async Task<IsoMessage> ExchangeAsync(IsoMessage request)
    {
        await SendAsync(request);
        return await ReceiveAsync();
    }

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        for (int read = 0; read < count;)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0) throw new IOException($"connection closed after {read} of {count} bytes");
            read += n;
        }
        return buffer;
    }

    public void Dispose() => _socket.Dispose();
}
