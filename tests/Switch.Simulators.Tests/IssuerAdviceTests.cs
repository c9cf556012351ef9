using Switch.Simulators.Card;

namespace Switch.Simulators.Tests;

/// <summary>Reversals and advices at the issuer simulator: acknowledged and recorded, so a test can count them.</summary>
public sealed class IssuerAdviceTests
{
    [Theory]
    [InlineData("0420", "0430")]
    [InlineData("0421", "0430")]
    [InlineData("0400", "0410")]
    public async Task A_reversal_is_acknowledged_00_and_recorded_with_its_original_data(string mti, string answerMti)
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        var original = await pos.SendAsync(SimPair.Purchase(2500), Timeouts.Token());
        var x = await pos.ReverseLastAsync(null, mti, Timeouts.Token());
        Assert.Equal(answerMti, x.Answer!.Mti);
        Assert.Equal("00", x.ResponseCode);
        string de90 = PosMessages.OriginalData(original.Request);
        Assert.Equal(42, de90.Length);
        Assert.StartsWith("0200" + original.Request.GetString(11) + original.Request.GetString(7), de90, StringComparison.Ordinal);
        var reversals = await pair.Issuer.Log.WaitForAsync(e => e.Mti == mti && e.OriginalData == de90, 1, TimeSpan.FromSeconds(5), Timeouts.Token());
        Assert.Single(reversals);
        Assert.Equal("00", reversals[0].Answer);
    }

    [Fact]
    public async Task A_partial_reversal_carries_DE95_with_the_actual_amount()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        await pos.SendAsync(SimPair.Purchase(2500), Timeouts.Token());
        var x = await pos.ReverseLastAsync(1000, Timeouts.Token());
        Assert.Equal("00", x.ResponseCode);
        Assert.Equal("000000001000000000001000C00000000C00000000", x.Request.GetString(95));
        Assert.Equal(x.Request.GetString(95), x.Answer!.GetString(95));
    }

    [Fact]
    public async Task Advices_0120_and_0220_are_acknowledged_0130_and_0230_and_counted()
    {
        await using var pair = await SimPair.StartAsync();
        var pos = pair.Terminal();
        foreach (var (mti, answer) in new[] { ("0120", "0130"), ("0220", "0230"), ("0220", "0230") })
        {
            var tx = SimPair.Purchase(700);
            tx.Mti = mti;
            tx.NoPin = true;
            var x = await pos.SendAsync(tx, Timeouts.Token());
            Assert.Equal(answer, x.Answer!.Mti);
            Assert.Equal("00", x.ResponseCode);
        }
        Assert.Single(pair.Issuer.Log.OfMti("0120"));
        Assert.Equal(2, pair.Issuer.Log.OfMti("0220").Count);
    }

    [Fact]
    public async Task The_log_keeps_at_most_its_limit_and_counts_everything()
    {
        var issuer = new IssuerSimulator(new IssuerSimulatorOptions { Port = 0, LogEntriesMax = 3 });
        await using (issuer)
        {
            await issuer.StartAsync(Timeouts.Token());
            await using var pos = new PosTerminal(new PosTerminalOptions { Port = issuer.Port, TerminalId = "TERM0002", PinKey = DemoKeys.IssuerZpkName });
            for (int i = 0; i < 5; i++) await pos.SendAsync(SimPair.Purchase(100 + i), Timeouts.Token());
            var kept = issuer.Log.Snapshot();
            Assert.Equal(3, kept.Count);
            Assert.Equal(5, issuer.Log.Total);
            Assert.Equal([3L, 4L, 5L], kept.Select(e => e.Sequence));
        }
    }

    [Fact]
    public async Task A_request_that_does_not_decode_but_has_an_MTI_is_answered_30()
    {
        await using var pair = await SimPair.StartAsync();
        var spec = SimWire.Spec(SimWire.DefaultSpec);
        // An 0200 whose DE 12 is not BCD: its length is known, so DE 11 before it and DE 41 after it still decode.
        byte[] bytes = spec.Encode(spec.NewMessage("0200").Set(3, "000000").Set(11, "004711").Set(12, "101010").Set(41, "TERM0002"));
        bytes[16] = bytes[17] = bytes[18] = 0xFF;
        var format = SimWire.Framing("binary2", "none", spec);
        await using var conn = await FramedStream.ConnectAsync("127.0.0.1", pair.Issuer.Port, format, 3000, Timeouts.Token());
        await conn.WriteMessageAsync(Array.Empty<byte>(), bytes, Timeouts.Token());
        byte[]? answer = await conn.ReadMessageAsync(null, Timeouts.Token(10));
        var decoded = spec.Decode(answer!);
        Assert.Equal("0210", decoded.Mti);
        Assert.Equal("30", decoded.GetString(39));
        Assert.Equal("004711", decoded.GetString(11));
        Assert.Equal("TERM0002", decoded.GetString(41));
        Assert.False(decoded.Has(12));
        Assert.Contains("error", pair.Issuer.Log.Snapshot()[^1].MaskedJson, StringComparison.Ordinal);
    }
}

/// <summary>Hostile input at the issuer simulator: it never stops answering.</summary>
public sealed class IssuerHostileInputTests
{
    [Fact]
    public async Task Random_frames_never_stop_the_simulator_from_answering_the_next_request()
    {
        await using var pair = await SimPair.StartAsync();
        var format = SimWire.Framing("binary2", "none", SimWire.Spec(SimWire.DefaultSpec));
        var random = new Random(99);
        for (int i = 0; i < 200; i++)
        {
            await using var conn = await FramedStream.ConnectAsync("127.0.0.1", pair.Issuer.Port, format, 3000, Timeouts.Token());
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            // Half of them start like an 0200 so the decoder gets past the MTI.
            if (i % 2 == 0 && bytes.Length > 2) (bytes[0], bytes[1]) = ((byte)0x02, (byte)0x00);
            try
            {
                await conn.WriteMessageAsync(Array.Empty<byte>(), bytes, Timeouts.Token());
                if (i % 10 == 0) await conn.WriteRawAsync(new byte[] { 0xFF, 0xFF, 1 }, Timeouts.Token());
            }
            catch (IOException)
            {
                // The simulator may close a connection on a bad frame before the next write: that is its right.
            }
        }
        // The fuzzing connections are closed by now on this side; wait for the simulator to let them go (its limit is 64).
        for (int i = 0; i < 200 && pair.Issuer.ConnectionCount > 0; i++) await Task.Delay(50);
        var x = await pair.Terminal().SendAsync(SimPair.Purchase(1000), Timeouts.Token());
        Assert.True(x.ResponseCode == "00", x.Error ?? x.ResponseCode);
        Assert.True(pair.Issuer.Log.Total >= 1);
    }
}
