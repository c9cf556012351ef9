using Serilog;
using Switch.Iso8583.Spec;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Network.Acceptor;
using Switch.Network.Config;

namespace Switch.Core.Tests.Pipeline;

/// <summary>
/// The pipeline behind a real <see cref="IsoListener"/> on loopback with the real journal (temp spool, Kafka mock):
/// answers over TCP, events durable in the spool before the answer, duplicates and format errors on the wire.
/// </summary>
public sealed class ListenerIntegrationTests
{
    [Fact]
    public async Task A_signed_purchase_over_TCP_is_approved_signed_and_durable_in_the_journal()
    {
        await using var s = await ListenerStack.StartAsync();
        using var terminal = await TestTerminal.ConnectAsync(s.Listener.LocalEndPoint, PipelineHarness.Spec);
        var answer = await terminal.ExchangeAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "500001")));
        Assert.Equal(("0210", "00", "500001"), (answer.Mti, answer.GetString(39), answer.GetString(11)));
        Assert.True(PipelineHarness.MacIsValid(answer));
        var records = await s.JournalRecordsAsync();
        var legs = records.Where(r => r.Event.Stan == "500001").Select(r => r.Event.Kind).ToList();
        Assert.Equal([LegKind.RequestIn, LegKind.ResponseOut], legs);
        Assert.All(records, r => Assert.Equal(7u, r.Id.NodeId));
    }

    [Fact]
    public async Task A_duplicate_over_TCP_gets_the_same_bytes_and_one_journal_record_set()
    {
        await using var s = await ListenerStack.StartAsync();
        using var terminal = await TestTerminal.ConnectAsync(s.Listener.LocalEndPoint, PipelineHarness.Spec);
        var first = await terminal.ExchangeAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "500002")));
        var again = await terminal.ExchangeAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "500002")));
        Assert.Equal(PipelineHarness.Spec.Encode(first), PipelineHarness.Spec.Encode(again));
        Assert.Single(s.Harness.OnUs.Calls);
        Assert.Equal(1, (await s.JournalRecordsAsync()).Count(r => r.Event.Kind == LegKind.ResponseOut && r.Event.Stan == "500002"));
    }

    [Fact]
    public async Task Pipelined_requests_on_one_connection_are_each_answered()
    {
        await using var s = await ListenerStack.StartAsync();
        using var terminal = await TestTerminal.ConnectAsync(s.Listener.LocalEndPoint, PipelineHarness.Spec);
        const int count = 200;
        for (int i = 0; i < count; i++)
            await terminal.SendAsync(PipelineHarness.Request('A', terminal: "TERM0002", stan: (600_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var stans = new HashSet<string>();
        for (int i = 0; i < count; i++)
        {
            var answer = await terminal.ReceiveAsync();
            Assert.Equal("00", answer.GetString(39));
            stans.Add(answer.GetString(11)!);
        }
        Assert.Equal(count, stans.Count);
        Assert.Equal(count, (await s.JournalRecordsAsync()).Count(r => r.Event.Kind == LegKind.ResponseOut));
    }

    [Fact]
    public async Task An_undecodable_request_with_a_readable_MTI_is_answered_30_by_the_acceptor()
    {
        await using var s = await ListenerStack.StartAsync();
        using var terminal = await TestTerminal.ConnectAsync(s.Listener.LocalEndPoint, PipelineHarness.Spec);
        byte[] bytes = PipelineHarness.Spec.Encode(PipelineHarness.Request('A', terminal: "TERM0002", stan: "500003"));
        // Cut inside the last field: the codec cannot decode it, the MTI and the fields before the cut are readable.
        var answer = await terminal.ExchangeAsync2(bytes[..^2]);
        Assert.Equal(("0210", "30"), (answer.Mti, answer.GetString(39)));
        Assert.Empty(s.Harness.OnUs.Calls);
    }
}

/// <summary>Journal on a temp spool, the pipeline harness over it, and a listener on a loopback port.</summary>
internal sealed class ListenerStack : IAsyncDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), $"sc-pipe-{Guid.NewGuid():N}");

    private ListenerStack() { }

    public Journal.Journal Journal { get; private set; } = null!;
    public PipelineHarness Harness { get; private set; } = null!;
    public IsoListener Listener { get; private set; } = null!;

    public static async Task<ListenerStack> StartAsync()
    {
        var stack = new ListenerStack();
        Directory.CreateDirectory(stack._spool);
        var options = new JournalOptions { NodeId = 7, Spool = new SpoolOptions { Directory = stack._spool, RetentionMs = 0 } };
        stack.Journal = Switch.Journal.Journal.Open(options, Serilog.Core.Logger.None, fatal: ex => throw new InvalidOperationException("journal fatal in test", ex));
        stack.Harness = await PipelineHarness.CreateAsync(journal: stack.Journal);
        var listenerOptions = new ListenerOptions { Name = "terminals", Bind = "127.0.0.1", Port = 0, Spec = "iso8583-1987-binary" };
        stack.Listener = new IsoListener(listenerOptions, new SpecRegistry(), stack.Harness.Manager, stack.Harness.Log);
        stack.Listener.Start();
        return stack;
    }

    public async Task<List<JournalRecord>> JournalRecordsAsync()
    {
        var records = new List<JournalRecord>();
        await foreach (var r in Journal.ReadAsync(0, CancellationToken.None)) records.Add(r);
        return records;
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        Journal.Dispose();
        await Harness.DisposeAsync();
        try { Directory.Delete(_spool, recursive: true); } catch (IOException) { }
    }
}

internal static class TestTerminalExtensions
{
    public static async Task<Switch.Iso8583.Message.IsoMessage> ExchangeAsync2(this TestTerminal terminal, byte[] raw)
    {
        await terminal.SendRawAsync(raw);
        return await terminal.ReceiveAsync();
    }
}
