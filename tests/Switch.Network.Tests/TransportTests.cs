using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;

namespace Switch.Network.Tests;

/// <summary>
/// The transport knows frames, not ISO 8583: it depends on nothing but Switch.Common, and carries any payload
/// (a payShield command here) with the same framers and connection the ISO 8583 listeners use.
/// </summary>
public sealed class TransportTests
{
    [Fact]
    public void The_transport_assembly_references_neither_the_codec_nor_the_network_nor_the_security_library()
    {
        var references = typeof(FramedConnection).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain("Switch.Iso8583", references);
        Assert.DoesNotContain("Switch.Network", references);
        Assert.DoesNotContain("Switch.Security", references);
    }

    [Fact]
    public async Task A_framed_connection_carries_a_non_iso_payload_both_ways_with_a_binary_length_prefix()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1);
        var accepting = server.AcceptAsync();
        await using var peer = await RawClient.ConnectAsync((IPEndPoint)server.LocalEndPoint!);
        using var accepted = await accepting.WaitAsync(TestSupport.Timeout);
        var counters = new Counters();
        var format = new FrameFormat(new BinaryLengthFramer(4096), FrameHeader.None, zeroLengthIsKeepAlive: false);
        await using var conn = FramedConnection.FromSocket(accepted, format, counters, idleTimeoutMs: 30_000, partialFrameTimeoutMs: 5_000);

        // A payShield-style command: 4-byte header, command code NC (diagnostics).
        Assert.True(await conn.SendAsync(ReadOnlyMemory<byte>.Empty, Encoding.ASCII.GetBytes("0001NC"), CancellationToken.None));
        Assert.Equal("0001NC", Encoding.ASCII.GetString((await peer.ReadFrameAsync())!));
        Assert.Equal((1, 8L), (counters.Frames, counters.Bytes));

        await peer.SendAsync(TestSupport.Binary2(Encoding.ASCII.GetBytes("0001ND00")));
        var read = await conn.ReadAsync().AsTask().WaitAsync(TestSupport.Timeout);
        var buffer = read.Buffer;
        Assert.True(format.TryReadMessage(ref buffer, [], out var reply));
        Assert.Equal("0001ND00", Encoding.ASCII.GetString(reply.ToArray()));
        conn.AdvanceTo(buffer.Start, buffer.End, partialFrameLeft: false, progressed: true);
    }

    private sealed class Counters : IFrameCounters
    {
        public int Frames;
        public long Bytes;

        public void FramesOut(int frames, long bytes)
        {
            Frames += frames;
            Bytes += bytes;
        }

        public void Timeout()
        {
        }
    }
}
