using System.Buffers;
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Switch.Network.Framing;
using Switch.Transport.Framing;

namespace Switch.Network.Tests;

/// <summary>
/// FAULTS F18: malformed frames (length over the maximum, truncated, bad bitmap, bad BCD, random bytes) are
/// rejected or the connection closed with an error metric; no crash, no unbounded allocation, and other connections
/// are untouched. A zero-length frame is a keep-alive (jPOS ChannelAdaptor) unless the listener is set to close.
/// </summary>
public sealed class MalformedFramesTests
{
    private static async Task AssertServedAsync(System.Net.IPEndPoint endpoint)
    {
        await using var good = await RawClient.ConnectAsync(endpoint);
        await good.SendMessageAsync(TestSupport.Echo("000100"));
        Assert.Equal("0810", (await good.ReadMessageAsync())?.Mti);
    }

    [Fact]
    public async Task F18_a_length_over_the_maximum_closes_the_connection_before_the_body_is_read()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendAsync([0xFF, 0xFF]);
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
        Assert.Equal(1, listener.Metrics.Snapshot().MalformedFrames);
        await AssertServedAsync(listener.LocalEndPoint);
    }

    [Fact]
    public async Task F18_a_zero_length_frame_is_a_keep_alive_counted_and_ignored_by_default()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        // Keep-alives alone, then between pipelined requests: the connection stays and both requests are answered.
        await client.SendAsync([0x00, 0x00, 0x00, 0x00]);
        var echo = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000201")));
        await client.SendAsync([.. echo, 0x00, 0x00, .. TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000202")))]);
        Assert.Equal("000201", (await client.ReadMessageAsync())?[11]);
        Assert.Equal("000202", (await client.ReadMessageAsync())?[11]);
        var metrics = listener.Metrics.Snapshot();
        Assert.Equal(3, metrics.KeepAlives);
        Assert.Equal(0, metrics.MalformedFrames);
        Assert.Equal(2, metrics.FramesIn);
    }

    [Fact]
    public async Task F18_keep_alives_hold_an_otherwise_idle_connection_open_past_its_idle_deadline()
    {
        var options = TestSupport.ListenerOptions();
        options.Limits.IdleTimeoutMs = 400;
        await using var listener = await TestSupport.StartListenerAsync(options);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        for (int i = 0; i < 8; i++)
        {
            await client.SendAsync([0x00, 0x00]);
            await Task.Delay(150);
        }
        await client.SendMessageAsync(TestSupport.Echo("000203"));
        Assert.Equal("0810", (await client.ReadMessageAsync())?.Mti);
        Assert.Equal(8, listener.Metrics.Snapshot().KeepAlives);
    }

    [Fact]
    public async Task F18_a_zero_length_frame_closes_the_connection_when_the_listener_is_set_to_close()
    {
        var options = TestSupport.ListenerOptions();
        options.Framing.ZeroLengthFrames = "close";
        await using var listener = await TestSupport.StartListenerAsync(options);
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendAsync([0x00, 0x00]);
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
        var metrics = listener.Metrics.Snapshot();
        Assert.Equal(1, metrics.MalformedFrames);
        Assert.Equal(0, metrics.KeepAlives);
        await AssertServedAsync(listener.LocalEndPoint);
    }

    [Fact]
    public async Task F18_a_frame_truncated_by_the_peer_closing_is_dropped_without_a_reply()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var frame = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000001")));
        await client.SendAsync(frame[..^3]);
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
        Assert.Equal(0, listener.Metrics.Snapshot().FramesOut);
        await AssertServedAsync(listener.LocalEndPoint);
    }

    [Fact]
    public async Task F18_a_bitmap_announcing_an_undefined_field_gets_a_format_error_response()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var message = TestSupport.Spec.Encode(TestSupport.Authorization("000001"));
        message[2] |= 0x80; // bit 1: a secondary bitmap that is not there, so fields shift into garbage
        message[9] |= 0x01; // bit 64 in the primary bitmap: MAC field with no bytes for it
        await client.SendAsync(TestSupport.Binary2(message));
        var response = await client.ReadMessageAsync();
        Assert.Equal("0210", response?.Mti);
        Assert.Equal("30", response?[39]);
        Assert.Equal(1, listener.Metrics.Snapshot().Rejects);
        await client.SendMessageAsync(TestSupport.Echo("000002"));
        Assert.Equal("0810", (await client.ReadMessageAsync())?.Mti);
    }

    [Fact]
    public async Task F18_a_field_with_bad_bcd_gets_a_format_error_response_with_the_request_mti_plus_10()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var good = TestSupport.Spec.Encode(TestSupport.Spec.NewMessage("0100").Set(3, "000000").Set(11, "000001"));
        // MTI (2) + bitmap (8): DE 3 starts at offset 10, 3 bytes of BCD.
        good[10] = 0xAB;
        await client.SendAsync(TestSupport.Binary2(good));
        var response = await client.ReadMessageAsync();
        Assert.Equal("0110", response?.Mti);
        Assert.Equal("30", response?[39]);
    }

    [Fact]
    public async Task F18_a_message_whose_mti_cannot_be_read_closes_the_connection()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendAsync(TestSupport.Binary2([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.True(await client.ClosedByPeerAsync(TestSupport.Timeout));
        Assert.Equal(1, listener.Metrics.Snapshot().MalformedFrames);
        await AssertServedAsync(listener.LocalEndPoint);
    }

    [Fact]
    public async Task F18_thousands_of_random_frames_never_crash_the_listener()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        var random = new Random(8583);
        for (int connection = 0; connection < 40; connection++)
        {
            await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
            var wire = new ArrayBufferWriter<byte>();
            for (int i = 0; i < 50; i++)
            {
                var body = new byte[random.Next(1, 300)];
                random.NextBytes(body);
                if (i % 2 == 0) body[0] = 0x02; // often a readable MTI, so decoding goes past it
                wire.Write(TestSupport.Binary2(body));
            }
            await client.SendAsync(wire.WrittenSpan.ToArray());
            await client.ClosedByPeerAsync(TimeSpan.FromMilliseconds(50));
        }
        await AssertServedAsync(listener.LocalEndPoint);
        var metrics = listener.Metrics.Snapshot();
        Assert.True(metrics.MalformedFrames >= 40);
    }

    [Fact]
    public async Task F18_a_peer_that_never_reads_its_replies_is_throttled_not_buffered()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        client.Socket.ReceiveBufferSize = 4096;
        var frame = TestSupport.Binary2(TestSupport.Spec.Encode(TestSupport.Echo("000001")));
        var burst = Enumerable.Repeat(frame, 1000).SelectMany(f => f).ToArray();
        long offered = 0;
        using var stall = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (offered < 200L * 1024 * 1024)
            {
                await client.Socket.SendAsync(burst, System.Net.Sockets.SocketFlags.None, stall.Token);
                offered += burst.Length;
            }
        }
        catch (OperationCanceledException)
        {
            // Sending stalled: the server stopped reading because its replies are not drained.
        }
        Assert.True(offered < 200L * 1024 * 1024, "the server kept reading a peer that never reads");
        // What the server took in is bounded by its pipes and the kernel buffers, not by what was offered.
        Assert.True(listener.Metrics.Snapshot().BytesIn < 64L * 1024 * 1024);
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property F18_random_bytes_give_a_frame_or_a_frame_error_never_anything_else(byte[] bytes, bool tpdu)
    {
        var format = new FrameFormat(new BinaryLengthFramer(512), tpdu ? FrameHeader.Tpdu : FrameHeader.None);
        var buffer = TestSupport.Split(bytes, 3);
        var header = new byte[5];
        try
        {
            while (format.TryReadMessage(ref buffer, header, out var message))
            {
                if (message.Length > 512) return false.ToProperty();
            }
            return true.ToProperty();
        }
        catch (FrameFormatException)
        {
            return true.ToProperty();
        }
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property F18_random_bytes_never_escape_the_spec_delimited_framer(byte[] bytes)
    {
        var format = new FrameFormat(new SpecDelimitedFramer(TestSupport.Spec, 0, 512), FrameHeader.None);
        var buffer = new ReadOnlySequence<byte>([0x02, 0x00, .. bytes]);
        try
        {
            while (format.TryReadMessage(ref buffer, [], out _))
            {
            }
            return true.ToProperty();
        }
        catch (FrameFormatException)
        {
            return true.ToProperty();
        }
    }

    [Fact]
    public void F18_a_length_prefix_is_read_before_any_body_is_buffered()
    {
        var format = new FrameFormat(new BinaryLengthFramer(100), FrameHeader.None);
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, 60_000);
        var buffer = new ReadOnlySequence<byte>(prefix);
        Assert.Throws<FrameFormatException>(() => format.TryReadMessage(ref buffer, [], out _));
    }
}

/// <summary>FAULTS F18 fuzzing of the acceptor's decode path: mutated messages only ever raise format errors.</summary>
public sealed class DecodePathFuzzTests
{
    [Fact]
    public void F18_two_hundred_thousand_mutated_messages_raise_only_format_errors()
    {
        var random = new Random(20261125);
        var seeds = new[]
        {
            TestSupport.Spec.Encode(TestSupport.Authorization("000001")),
            TestSupport.Spec.Encode(TestSupport.Echo("000002")),
        };
        int rejected = 0;
        for (int i = 0; i < 200_000; i++)
        {
            byte[] bytes = Mutate(seeds[i % seeds.Length], random);
            var sequence = new System.Buffers.ReadOnlySequence<byte>(bytes);
            _ = Switch.Network.Management.MessageTypes.TryReadMti(TestSupport.Spec, sequence);
            try
            {
                _ = TestSupport.Spec.Decode(sequence, Switch.Iso8583.Message.DecodeMode.Strict);
            }
            catch (Switch.Iso8583.IsoFormatException)
            {
                rejected++;
            }
        }
        Assert.True(rejected > 10_000, $"only {rejected} mutations were rejected; the fuzzer is not reaching the checks");
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(4))
        {
            case 0:
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 2:
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            default:
                var noise = new byte[random.Next(1, 64)];
                random.NextBytes(noise);
                return [.. bytes, .. noise];
        }
    }
}
