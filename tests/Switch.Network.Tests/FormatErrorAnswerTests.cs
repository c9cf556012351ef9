using Switch.Iso8583.Message;

namespace Switch.Network.Tests;

/// <summary>
/// A format-error answer (MTI + 10, DE 39 = 30) echoes every matching field that could be read, so a peer that
/// matches replies on DE 41 + DE 11 (jPOS QMUX) gets it back; over real loopback TCP.
/// </summary>
public sealed class FormatErrorAnswerTests
{
    private static readonly int[] Echoed = [3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49];

    private static readonly (int Field, string Value)[] Values =
    [
        (2, "4111111111111111"), (3, "000000"), (4, "000000001000"), (7, "1125084500"), (11, "000777"), (12, "084500"),
        (13, "1125"), (22, "051"), (32, "12345"), (37, "123456789012"), (41, "TERM0042"), (42, "MERCHANT0000001"), (49, "840"),
    ];

    private static IsoMessage Request(int below = 193)
    {
        var msg = TestSupport.Spec.NewMessage("0200");
        foreach (var (field, value) in Values)
        {
            if (field < below) msg.Set(field, value);
        }
        return msg;
    }

    private static int OffsetOf(int field) => TestSupport.Spec.Encode(Request(field)).Length;

    private static async Task<IsoMessage> AnswerToAsync(byte[] message)
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        await client.SendAsync(TestSupport.Binary2(message));
        var answer = await client.ReadMessageAsync();
        Assert.NotNull(answer);
        Assert.Equal(1, listener.Metrics.Snapshot().Rejects);
        return answer;
    }

    [Fact]
    public async Task A_bad_value_is_answered_with_every_matching_field_read_around_it()
    {
        byte[] message = TestSupport.Spec.Encode(Request());
        message[OffsetOf(22)] = 0xAB; // DE 22 holds BCD nibbles A and B; its length is known, so the walk goes on
        var answer = await AnswerToAsync(message);
        Assert.Equal("0210", answer.Mti);
        Assert.Equal("30", answer[39]);
        foreach (int field in Echoed) Assert.Equal(Values.Single(v => v.Field == field).Value, answer[field]);
        Assert.Equal([.. Echoed, 39], answer.Fields.ToList().OrderBy(f => f == 39 ? int.MaxValue : f));
        Assert.False(answer.Has(2)); // the PAN is not a matching field
    }

    [Fact]
    public async Task A_broken_length_prefix_echoes_the_fields_before_it()
    {
        byte[] message = TestSupport.Spec.Encode(Request());
        message[OffsetOf(32)] = 0xAA; // DE 32's length prefix cannot be read: nothing after it can be found
        var answer = await AnswerToAsync(message);
        Assert.Equal("0210", answer.Mti);
        Assert.Equal("30", answer[39]);
        Assert.Equal([3, 4, 7, 11, 12, 13, 39], answer.Fields.ToList());
        Assert.Equal("000777", answer[11]);
    }

    [Fact]
    public async Task Trailing_bytes_after_a_whole_message_are_answered_with_all_matching_fields()
    {
        byte[] message = [.. TestSupport.Spec.Encode(Request()), 0x00, 0x00];
        var answer = await AnswerToAsync(message);
        Assert.Equal("0210", answer.Mti);
        Assert.Equal("30", answer[39]);
        Assert.Equal("TERM0042", answer[41]);
        Assert.Equal("000777", answer[11]);
        Assert.Equal(Echoed.Length + 1, answer.Count);
    }

    [Fact]
    public async Task A_repeat_is_answered_as_its_first_transmission_and_the_session_goes_on()
    {
        await using var listener = await TestSupport.StartListenerAsync();
        await using var client = await RawClient.ConnectAsync(listener.LocalEndPoint);
        var request = Request();
        request.Mti = "0201";
        byte[] message = TestSupport.Spec.Encode(request);
        message[OffsetOf(22)] = 0xAB;
        await client.SendAsync(TestSupport.Binary2(message));
        var answer = await client.ReadMessageAsync();
        Assert.Equal("0210", answer?.Mti);
        Assert.Equal("30", answer?[39]);
        Assert.Equal("TERM0042", answer?[41]);
        await client.SendMessageAsync(TestSupport.Echo("000002"));
        Assert.Equal("0810", (await client.ReadMessageAsync())?.Mti);
    }
}
