using System.Diagnostics;
using System.Globalization;
using System.Text;
using Switch.Core.Authorization;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Pin;

namespace Switch.Core.Tests.Authorization;

/// <summary>A clock the test sets (wall clock) over the real monotonic clock.</summary>
internal sealed class TestClock : IClock
{
    public DateTime UtcNow { get; set; } = new(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);

    public long MonotonicTicks => Stopwatch.GetTimestamp();
}

/// <summary>The demo keys (TEST DATA) imported clear into a real software security module, served by key store name.</summary>
internal sealed class DemoKeyRing : IKeyRing
{
    private readonly Dictionary<string, SecureKey> _keys = new(StringComparer.Ordinal);

    public static async Task<DemoKeyRing> CreateAsync(ISecurityTooling module, CancellationToken ct)
    {
        var ring = new DemoKeyRing();
        foreach (var key in DemoDataSet.All.Keys)
        {
            var type = Enum.Parse<KeyType>(key.Type, ignoreCase: true);
            ring._keys[key.Name] = await module.ImportClearKeyAsync(type, KeyAlgorithm.Tdes, Convert.FromHexString(key.ClearHex), ct);
        }
        return ring;
    }

    public void Add(string name, SecureKey key) => _keys[name] = key;

    public ValueTask<SecureKey> GetAsync(string name, CancellationToken ct) =>
        _keys.TryGetValue(name, out var key) ? new ValueTask<SecureKey>(key) : throw new KeyNotFoundException($"no key '{name}' in the demo ring");
}

/// <summary>
/// The on-us authorizer over the demo data set (TEST DATA), a real software security module with the demo keys, real
/// PIN blocks (ISO 9564 format 0 under the demo TPK) and a test clock. Requests go to terminal TERM0002.
/// </summary>
internal sealed class OnUsFixture : IAsyncDisposable
{
    public const string Terminal = "TERM0002";
    public const string Acquirer = "123456";

    private static readonly byte[] HashKey = Encoding.ASCII.GetBytes("on-us-tests-pan-hash-key-32-bytes!");
    private static readonly byte[] DataKey = new byte[32];
    private int _stan;
    private int _txn;

    private OnUsFixture(ComposedSecurityModule module, DemoKeyRing keys, OnUsAuthorizer authorizer, TestClock clock)
    {
        Module = module;
        Keys = keys;
        Authorizer = authorizer;
        Clock = clock;
    }

    public ComposedSecurityModule Module { get; }

    public DemoKeyRing Keys { get; }

    public OnUsAuthorizer Authorizer { get; }

    public TestClock Clock { get; }

    public static PanProtector Protector { get; } = new(HashKey, DataKey);

    public static MasterDataSnapshot Snapshot { get; } = BuildSnapshot();

    /// <summary>Every committed effect, in order (what the journal would hold).</summary>
    public List<JournalEvent> Journal { get; } = [];

    public static CoreOptions Options(int partitions = 2, int queueMax = 1000) => new() { Partitions = partitions, PartitionQueueMax = queueMax };

    public static async Task<OnUsFixture> CreateAsync(CoreOptions? options = null, Func<ISecurityModule, ISecurityModule>? wrap = null)
    {
        var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        var keys = await DemoKeyRing.CreateAsync(module, TestTimeout.Token);
        var clock = new TestClock();
        ISecurityModule hsm = wrap is null ? module : wrap(module);
        return new OnUsFixture(module, keys, new OnUsAuthorizer(options ?? Options(), hsm, keys, clock), clock);
    }

    /// <summary>A second authorizer on the same keys and clock (for rebuilds).</summary>
    public OnUsAuthorizer NewAuthorizer(CoreOptions? options = null) => new(options ?? Options(), Module, Keys, Clock);

    public static string Hash(string pan) => Convert.ToHexStringLower(Protector.Hash(pan));

    private static MasterDataSnapshot BuildSnapshot()
    {
        var data = DemoDataSet.All;
        var cards = DemoDataSet.Cards.Select(c => new CardRecord(Hash(c.Pan), Switch.Common.Masking.PanMask.Mask(c.Pan), c.Account, c.Expiry,
            data.ServiceCode, data.Pvki, c.Pvv, c.Status, c.PerTransactionLimitMinor, c.DailyLimitMinor));
        var accounts = DemoDataSet.Cards.Select(c => new AccountRecord(c.Account, data.Currency, c.OpeningBalanceMinor));
        return new MasterDataSnapshot(DemoDataSet.Terminals, cards, accounts, [DemoDataSet.OnUsProfile], [DemoDataSet.RemoteIssuer]);
    }

    /// <summary>A real format 0 PIN block under the demo TPK (encrypted with its clear TEST key).</summary>
    public static byte[] PinBlock(string pan, string pin)
    {
        var clear = new byte[8];
        Switch.Security.Pin.PinBlock.Encode(PinBlockFormat.Iso0, pin, pan, clear);
        var engine = new SoftwareCipherEngine();
        using var tpk = engine.Import(KeyAlgorithm.Tdes, Convert.FromHexString(DemoDataSet.All.Keys.Single(k => k.Name == "demo-tpk").ClearHex));
        var block = new byte[8];
        engine.EncryptEcb(tpk, KeyPart.Whole, clear, block);
        return block;
    }

    /// <summary>A request of demo card <paramref name="letter"/>; the PIN is the card's own unless given ("" for none).</summary>
    public CardTransaction Txn(char letter, TransactionKind kind, long amount, string? pin = null, string? mti = null, bool track2 = true,
        OriginalData? original = null, long? replacement = null, string? track2Text = null, string? expiry = null)
    {
        var card = DemoDataSet.Card(letter);
        pin ??= card.Pin;
        mti ??= kind switch
        {
            TransactionKind.Authorization => "0100",
            TransactionKind.Reversal => "0420",
            TransactionKind.Advice => "0220",
            _ => "0200",
        };
        string pc = kind switch { TransactionKind.CashWithdrawal => "010000", TransactionKind.BalanceInquiry => "310000", _ => "000000" };
        int stan = Interlocked.Increment(ref _stan);
        return new CardTransaction
        {
            TransactionId = "t-" + Interlocked.Increment(ref _txn).ToString(CultureInfo.InvariantCulture),
            Mti = mti,
            Kind = kind,
            Pan = card.Pan,
            ProcessingCode = pc,
            AmountMinor = amount,
            CurrencyNumeric = DemoDataSet.Currency,
            TransmissionDateTime = Clock.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture),
            Stan = stan.ToString("D6", CultureInfo.InvariantCulture),
            Expiry = expiry ?? card.Expiry,
            AcquirerId = Acquirer,
            Track2 = track2Text ?? (track2 ? card.Track2 : null),
            TerminalId = Terminal,
            MerchantId = "MERCHANT0000001",
            PinBlock = pin.Length == 0 ? default : PinBlock(card.Pan, pin),
            Original = original,
            ReplacementAmountMinor = replacement,
        };
    }

    /// <summary>DE90 naming <paramref name="original"/>.</summary>
    public static OriginalData OriginalOf(CardTransaction original) =>
        new(original.Mti, original.Stan, original.TransmissionDateTime, original.AcquirerId.PadLeft(11, '0'), "00000000000");

    public OnUsRequest Request(CardTransaction txn) => new()
    {
        Transaction = txn,
        Terminal = Snapshot.Terminal(txn.TerminalId)!,
        MasterData = Snapshot,
        PanHashHex = Hash(txn.Pan!),
    };

    /// <summary>Authorizes and commits (the journal append succeeded), keeping the effects as the journal would.</summary>
    public async Task<OnUsDecision> SendAsync(CardTransaction txn)
    {
        var decision = await Authorizer.AuthorizeAsync(Request(txn), TestTimeout.Token);
        lock (Journal) Journal.AddRange(decision.Effects);
        Authorizer.Commit(decision);
        return decision;
    }

    /// <summary>Authorizes and aborts (the journal append failed).</summary>
    public async Task<OnUsDecision> SendAbortedAsync(CardTransaction txn)
    {
        var decision = await Authorizer.AuthorizeAsync(Request(txn), TestTimeout.Token);
        Authorizer.Abort(decision);
        return decision;
    }

    public async Task<string> CodeAsync(CardTransaction txn) => (await SendAsync(txn)).ResponseCode;

    public static AccountRecord Account(char letter) => Snapshot.Account(DemoDataSet.Card(letter).Account)!;

    public Task<OnUsAccountBalance> BalanceAsync(char letter) => Authorizer.BalanceAsync(Account(letter), TestTimeout.Token);

    public async Task<long> AvailableAsync(char letter) => (await BalanceAsync(letter)).AvailableMinor;

    public async ValueTask DisposeAsync()
    {
        await Authorizer.DisposeAsync();
        await Module.DisposeAsync();
    }
}

/// <summary>Test cancellation: generous for a loaded machine.</summary>
internal static class TestTimeout
{
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;
}
