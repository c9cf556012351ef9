using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>The framed raw echo.</summary>
public sealed class EchoServerTests
{
    [Theory]
    [InlineData("binary2")]
    [InlineData("ascii4")]
    [InlineData("bcd2")]
    public async Task Every_frame_comes_back_whole_in_order(string framing)
    {
        await using var echo = new EchoServer(framing);
        echo.Start();
        var format = SimWire.Framing(framing, "none", SimWire.Spec(SimWire.DefaultSpec));
        await using var conn = await FramedStream.ConnectAsync("127.0.0.1", echo.Port, format, 3000, Timeouts.Token());
        var frames = Enumerable.Range(1, 50).Select(i => Enumerable.Range(0, i * 13).Select(b => (byte)(b + i)).ToArray()).ToList();
        foreach (var f in frames) await conn.WriteMessageAsync(Array.Empty<byte>(), f, Timeouts.Token());
        foreach (var f in frames) Assert.Equal(f, await conn.ReadMessageAsync(null, Timeouts.Token()));
        Assert.Equal(50, echo.FramesEchoed);
    }

    [Fact]
    public async Task A_frame_over_the_limit_closes_the_connection()
    {
        await using var echo = new EchoServer("binary2", frameBytesMax: 100);
        echo.Start();
        var format = SimWire.Framing("binary2", "none", SimWire.Spec(SimWire.DefaultSpec));
        await using var conn = await FramedStream.ConnectAsync("127.0.0.1", echo.Port, format, 3000, Timeouts.Token());
        await conn.WriteRawAsync(new byte[] { 0x01, 0x00, 1, 2, 3 }, Timeouts.Token());
        Assert.Null(await conn.ReadMessageAsync(null, Timeouts.Token()));
    }

    [Fact]
    public void An_unknown_framing_is_refused_with_the_accepted_values()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EchoServer("binary3"));
        Assert.Contains("binary2", ex.Message, StringComparison.Ordinal);
    }
}
