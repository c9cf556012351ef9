using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Acceptor;
using Switch.Network.Management;
using Switch.Network.Mux;

namespace Switch.Network.Tests;

/// <summary>
/// A response matches its request whatever the request's repeat digit, as jPOS's QMUX does: a host answers a resent
/// 0421 with 0430, so the MUX must key the repeat as 0430 (it used to key it 0431, and every repeat timed out).
/// </summary>
public sealed class RepeatMatchingTests
{
    /// <summary>The host's answer MTI, written out literally (not derived with the rule under test).</summary>
    [Theory]
    [InlineData("0100", "0110")]
    [InlineData("0101", "0110")]
    [InlineData("0200", "0210")]
    [InlineData("0201", "0210")]
    [InlineData("0220", "0230")]
    [InlineData("0221", "0230")]
    [InlineData("0420", "0430")]
    [InlineData("0421", "0430")]
    public async Task A_request_or_its_repeat_is_answered_through_a_real_connector(string requestMti, string hostAnswers)
    {
        var host = new LiteralAnswerHandler(hostAnswers);
        await using var listener = await TestSupport.StartListenerAsync(handler: host);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var request = TestSupport.Authorization("004211");
        request.Mti = requestMti;

        var result = await connector.SendAsync(request, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(MuxStatus.Answered, result.Status);
        Assert.Equal(hostAnswers, result.Response!.Mti);
        Assert.Equal("004211", result.Response[11]);
        Assert.Equal(requestMti, host.LastRequestMti);
        Assert.Equal(0, connector.Mux.PendingCount);
    }

    [Fact]
    public async Task A_first_transmission_and_its_repeat_each_get_the_one_answer_the_host_sends()
    {
        // The reversal times out, the acquirer repeats it (0421, same STAN): the repeat's 0430 completes the repeat.
        var host = new LiteralAnswerHandler("0430");
        await using var listener = await TestSupport.StartListenerAsync(handler: host);
        await using var connector = await ConnectorSupport.StartAsync(ConnectorSupport.Options(listener.LocalEndPoint));
        var first = TestSupport.Authorization("000777");
        first.Mti = "0420";
        Assert.Equal(MuxStatus.Answered, (await connector.SendAsync(first, TimeSpan.FromSeconds(5), CancellationToken.None)).Status);
        var repeat = TestSupport.Authorization("000777");
        repeat.Mti = "0421";
        var result = await connector.SendAsync(repeat, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(MuxStatus.Answered, result.Status);
        Assert.Equal("0430", result.Response!.Mti);
    }

    [Theory]
    [InlineData("0201", "0210")]
    [InlineData("0221", "0230")]
    [InlineData("0421", "0430")]
    [InlineData("0423", "0432")]
    [InlineData("1421", "1430")]
    public void The_request_key_of_a_repeat_is_the_key_of_the_answer_without_repeat(string requestMti, string answerMti)
    {
        var request = TestSupport.Authorization("000001");
        request.Mti = requestMti;
        var answer = request.CreateResponse(answerMti, [11, 41]);
        Assert.Equal(MuxKey.Default.ForResponse(answer), MuxKey.Default.ForRequest(request));
        Assert.StartsWith(answerMti + "|", MuxKey.Default.ForRequest(request), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_too_long_for_the_stack_buffer_clears_the_repeat_digit_too()
    {
        // DE 43 (40 characters) three times over exceeds the 128-character stack key: the other path builds it.
        var key = new MuxKey([43, 43, 43, 11]);
        var request = TestSupport.Authorization("000001").Set(43, new string('A', 40));
        request.Mti = "0421";
        var answer = request.CreateResponse("0430", [11, 41, 43]);
        Assert.Equal(key.ForResponse(answer), key.ForRequest(request));
        Assert.StartsWith("0430|", key.ForRequest(request), StringComparison.Ordinal);
    }

    /// <summary>A host that answers every request with one literal MTI, echoing the key fields.</summary>
    private sealed class LiteralAnswerHandler(string answerMti) : IMessageHandler
    {
        public string? LastRequestMti { get; private set; }

        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
        {
            if (request.Mti == "0800") return new NetworkManagementHandler().HandleAsync(request, session, ct);
            LastRequestMti = request.Mti;
            return ValueTask.FromResult<IsoMessage?>(request.CreateResponse(answerMti, [3, 4, 7, 11, 41]).Set(39, ResponseCode.Approved));
        }
    }
}
