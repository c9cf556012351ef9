using System.Net;
using System.Net.Sockets;
using Switch.Security.Backends.PayShield;

namespace Switch.Security.Tests;

/// <summary>
/// The payShield link's framing (Switch.Transport's binary2 framer): a zero-length or oversize frame is an error on
/// either side, named clearly, and the link carries on over a fresh connection.
/// </summary>
public sealed class PayShieldLinkFramingTests
{
    private static readonly byte[] ZeroLength = [0x00, 0x00];

    // Announces 65535 bytes, more than the link's 32 KiB maximum; the bytes that follow are never read.
    private static readonly byte[] Oversize = [0xFF, 0xFF, (byte)'0', (byte)'0', (byte)'0', (byte)'1'];

    [Fact]
    public async Task The_client_fails_a_command_answered_with_a_zero_length_or_oversize_frame_and_the_next_command_gets_a_fresh_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        // Connection 1 answers with a zero-length frame, connection 2 with an oversize one, connection 3 properly.
        Task hsm = FaultyHsmAsync(listener, [ZeroLength, Oversize, null]);
        await using var client = new PayShieldClient(new PayShieldClientOptions { Port = ((IPEndPoint)listener.LocalEndpoint).Port });

        var zero = await Assert.ThrowsAsync<HsmUnavailableException>(() => client.SendAsync("NC", TestTimeout.Token));
        Assert.Equal("payshield: connection lost: malformed frame from the HSM: frame length 0: a frame must carry at least one byte (zero-length keep-alives are refused on this connection)", zero.Message);

        var oversize = await Assert.ThrowsAsync<HsmUnavailableException>(() => client.SendAsync("NC", TestTimeout.Token));
        Assert.Equal($"payshield: connection lost: malformed frame from the HSM: frame length 65535 exceeds the maximum of {PayShieldLink.MessageBytesMax} bytes", oversize.Message);

        Assert.Equal("ND00", await client.SendAsync("NC", TestTimeout.Token));
        Assert.Equal(0, client.PendingCount);
        await client.DisposeAsync(); // disposing twice (again at the end of the scope) is harmless
        await hsm.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_simulator_closes_a_connection_that_sends_a_zero_length_or_oversize_frame_and_serves_a_fresh_one(bool oversize)
    {
        await using var fixture = PayShieldFixture.Start();
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(IPAddress.Loopback, fixture.Simulator.Port, TestTimeout.Token);
            var stream = raw.GetStream();
            await stream.WriteAsync(oversize ? Oversize : ZeroLength, TestTimeout.Token);
            // The simulator answers nothing and closes: the read sees the end of the stream.
            Assert.Equal(0, await stream.ReadAsync(new byte[16], TestTimeout.Token));
        }
        string response = await fixture.Client.SendAsync("NC", TestTimeout.Token);
        Assert.Equal("ND00" + fixture.Lmk.CheckValue, response[..(4 + fixture.Lmk.CheckValue.Length)]);
        Assert.Equal(1, fixture.Simulator.CommandsHandled);
    }

    [Fact]
    public async Task The_client_refuses_a_command_longer_than_the_link_carries_before_sending_it()
    {
        await using var fixture = PayShieldFixture.Start();
        var ex = await Assert.ThrowsAsync<SecurityInputException>(() => fixture.Client.SendAsync("M6" + new string('0', PayShieldLink.MessageBytesMax), TestTimeout.Token));
        Assert.Equal($"payshield: message of {PayShieldLink.MessageBytesMax + 6} bytes outside 1-{PayShieldLink.MessageBytesMax}", ex.Message);
        Assert.Equal("ND00", (await fixture.Client.SendAsync("NC", TestTimeout.Token))[..4]);
        Assert.Equal(1, fixture.Simulator.CommandsHandled);
        // Only the NC went out: 2-byte prefix, 4-digit header, command code.
        Assert.Equal(1, fixture.Client.Counters.FramesSent);
        Assert.Equal(8, fixture.Client.Counters.BytesSent);
        Assert.Equal(1, fixture.Simulator.Counters.FramesSent);
    }

    // Serves one connection per entry: reads one request, then answers with the given raw bytes, or (null) with a
    // proper frame: the request's header and "ND00".
    private static async Task FaultyHsmAsync(TcpListener listener, byte[]?[] answers)
    {
        foreach (byte[]? answer in answers)
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var stream = new NetworkStream(socket);
            var prefix = new byte[2];
            await stream.ReadExactlyAsync(prefix);
            var request = new byte[(prefix[0] << 8) | prefix[1]];
            await stream.ReadExactlyAsync(request);
            byte[] reply = answer ?? [0x00, 0x08, .. request.AsSpan(0, 4), .. "ND00"u8];
            await stream.WriteAsync(reply);
            // Held open until the client drops it: the client must not wait for a close to see the bad frame.
            Assert.Equal(0, await stream.ReadAsync(new byte[16]));
        }
    }
}
