using System.Globalization;
using System.Text.Json;
using Switch.Common.Configuration;
using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.Pipeline;
using Switch.Core.State;
using Switch.Core.StoreAndForward;
using Switch.Core.Tests.Authorization;
using Switch.Core.Tests.Issuers;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Network.Config;
using Switch.Network.Connector;

namespace Switch.Core.Tests.State;

/// <summary>
/// The core state on real parts for rebuild tests: the on-us authorizer of <see cref="OnUsFixture"/> (demo data set,
/// real software HSM, test clock), an issuer gateway over a configured (never started) connector, duplicate memory, and
/// a real journal on a temp spool (mock Kafka) that every event goes through, so rebuilds read it back with real
/// sequences. <see cref="NewState"/> builds more states on the same keys and clock; <see cref="DumpAsync"/> prints one.
/// </summary>
internal sealed class StateRig : IAsyncDisposable
{
    public const string Connector = "issuer-sim";
    public const uint Node = 1;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"sct-state-{Guid.NewGuid():N}");
    private readonly IsoConnector _connector;
    private readonly Dictionary<string, IsoConnector> _connectors;
    private readonly List<CoreState> _states = [];

    private StateRig(OnUsFixture onUs, CoreOptions options)
    {
        OnUs = onUs;
        Options = options;
        Journal = Switch.Journal.Journal.Open(new JournalOptions
        {
            NodeId = Node,
            Spool = new SpoolOptions { Directory = _dir, SegmentBytesMax = 4 * 1024 * 1024, SpoolBytesMax = 400L * 1024 * 1024, RetentionMs = 3_600_000 },
            Kafka = new KafkaOptions { BootstrapServers = "mock", MockBrokers = 1, Partitions = 1, ReplicationFactor = 1, MinInsyncReplicas = 1, Topic = "switch.journal.state" },
        }, Serilog.Core.Logger.None, fatal: ex => throw new InvalidOperationException("journal fatal in test", ex));
        var connectorOptions = new ConnectorOptions { Name = Connector, Endpoints = ["127.0.0.1:9"] };
        new NetworkConfig { Connectors = [connectorOptions] }.Validate(new ConfigSection("switch.json", "network", JsonDocument.Parse("{}").RootElement.Clone()), IssuerTestbed.Specs);
        _connector = new IsoConnector(connectorOptions, IssuerTestbed.Specs, Serilog.Core.Logger.None);
        _connectors = new(StringComparer.Ordinal) { [Connector] = _connector };
        Live = new CoreState(onUs.Authorizer, NewGateway(), new DuplicateMemory(options, onUs.Clock));
    }

    public OnUsFixture OnUs { get; }

    public CoreOptions Options { get; }

    public Switch.Journal.Journal Journal { get; }

    /// <summary>The state the operations change (the on-us part live; the others fed by <see cref="AppendAsync"/>).</summary>
    public CoreState Live { get; }

    public string Shape => CoreStateSnapshot.ShapeOf(Options, OnUs.Authorizer.PartitionCount, _connectors.Keys);

    public static async Task<StateRig> CreateAsync(CoreOptions? options = null)
    {
        options ??= OnUsFixture.Options(partitions: 2);
        return new StateRig(await OnUsFixture.CreateAsync(options), options);
    }

    private IssuerGateway NewGateway() =>
        new(Options, _connectors, OnUs.Module, OnUs.Keys, Journal, OnUsFixture.Protector, OnUs.Clock, new RecordingMetrics(), Serilog.Core.Logger.None);

    /// <summary>A fresh, empty state on the same keys, clock and connectors (disposed with the rig).</summary>
    public CoreState NewState()
    {
        var state = new CoreState(OnUs.NewAuthorizer(Options), NewGateway(), new DuplicateMemory(Options, OnUs.Clock));
        _states.Add(state);
        return state;
    }

    /// <summary>Appends one transaction's events to the journal (durable) and folds the non-on-us ones into the live gateway and memory.</summary>
    public async Task AppendAsync(IReadOnlyList<JournalEvent> events, bool onUsAlreadyLive)
    {
        await Journal.AppendAsync(events, TestTimeout.Token);
        foreach (var e in events)
        {
            var record = new JournalRecord(default, e);
            if (!onUsAlreadyLive) Live.OnUs.Apply(record);
            Live.Gateway.Apply(record);
            Live.Duplicates.Apply(record);
        }
    }

    /// <summary>Every durable record from <paramref name="from"/> through <paramref name="through"/> folded into <paramref name="state"/>.</summary>
    public async Task<long> FoldAsync(CoreState state, long from, long through = long.MaxValue)
    {
        long count = 0;
        await foreach (var record in Journal.ReadAsync(from, TestTimeout.Token))
        {
            if (record.Id.Sequence > through) break;
            state.Apply(record);
            count++;
        }
        await state.DrainAsync(TestTimeout.Token);
        return count;
    }

    /// <summary>Everything a rebuild restores, in a fixed order: on-us accounts, open holds and reversal entries; duplicate entries; SAF queues; the remote index.</summary>
    public static async Task<string> DumpAsync(CoreState state, DateTime nowUtc)
    {
        var lines = new List<string> { await OnUsAbortAndReplayTests.DumpAsync(state.OnUs, nowUtc) };
        for (int p = 0; p < state.OnUs.PartitionCount; p++)
            lines.AddRange(await state.OnUs.InspectAsync(p, s => s.OpenHolds.Select(h => $"hold {h.Key} {h.Value}").ToList()));
        lines.AddRange(state.Duplicates.Describe().Select(d => "dup " + d));
        lines.AddRange(state.Gateway.StoreAndForward.Entries(Connector).Select(e => $"saf {e} attempts={e.Attempts}/{e.RecordedAttempts}"));
        lines.AddRange(state.Gateway.DescribeIndex().Select(d => "remote " + d));
        var ordered = lines.Take(1).Concat(lines.Skip(1).Order(StringComparer.Ordinal));
        return string.Join("\n", ordered);
    }

    // ---- events of the gateway and the pipeline, as they would journal them ----

    public static JournalEvent ResponseOut(string txn, string stan, string de7, string code, DateTime now) => new()
    {
        Kind = LegKind.ResponseOut, TransactionId = txn, TimeUtc = now, Mti = "0210", Stan = stan, TerminalId = "TERM0001", AcquirerId = "123456",
        ResponseCode = code, ApprovalCode = code == "00" ? "123456" : "", Detail = ResponseDetail.Format(de7, code == "00" ? "0002840C000000100000" : null),
    };

    public static JournalEvent RequestOut(string txn, string key, string stan, DateTime now) => new()
    {
        Kind = LegKind.RequestOut, TransactionId = txn, TimeUtc = now, Mti = "0200", Stan = stan, Destination = Connector,
        Detail = EventDetail.Format(("ik", key), ("od", "0200" + stan + "1204101112")),
    };

    public static JournalEvent ResponseIn(string txn, string key, string code, DateTime now) => new()
    {
        Kind = LegKind.ResponseIn, TransactionId = txn, TimeUtc = now, Mti = "0210", Destination = Connector, ResponseCode = code,
        Detail = EventDetail.Format(("ik", key)),
    };

    public static JournalEvent ReversalQueued(string txn, string key, string stan, DateTime now)
    {
        var entry = new SafEntry
        {
            Kind = SafKind.Reversal, Endpoint = Connector, TransactionId = txn, Mti = "0420", Stan = stan,
            TransmissionDateTime = now.ToString("MMddHHmmss", CultureInfo.InvariantCulture),
            PanEncrypted = OnUsFixture.Protector.Encrypt(Switch.Core.MasterData.DemoDataSet.All.RemoteCard.Pan), PanMasked = "541333******0019",
            AmountMinor = 1_000, CurrencyNumeric = 840, TerminalId = "TERM0001", ResponseCode = "68",
            OriginalData = "0200" + stan + "1204101112" + "00000998877" + "00000000000", IndexKey = key, Reason = "timeout",
        };
        return entry.ToQueuedEvent(now, 0, "998877", "demo-issuer");
    }

    public static JournalEvent Delivery(string txn, bool answered, int attempt, DateTime now) => new()
    {
        Kind = answered ? LegKind.ReversalAnswered : LegKind.ReversalSent, TransactionId = txn, TimeUtc = now, Mti = answered ? "0430" : "0420",
        Destination = Connector, ResponseCode = answered ? "00" : "",
        Detail = answered ? "" : EventDetail.Format(("try", (attempt + 1).ToString(CultureInfo.InvariantCulture))),
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var state in _states) await state.DisposeAsync();
        await Live.Gateway.DisposeAsync();
        await OnUs.DisposeAsync();
        await _connector.DisposeAsync();
        Journal.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
