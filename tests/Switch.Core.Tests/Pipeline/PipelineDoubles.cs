using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.Keys;
using Switch.Core.Time;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Security.Keys;

namespace Switch.Core.Tests.Pipeline;

/// <summary>A clock the test moves: monotonic ticks and UTC wall time, both starting now.</summary>
internal sealed class ManualClock : IClock
{
    private long _ticks = Stopwatch.GetTimestamp();

    public DateTime Utc { get; set; } = new(2026, 12, 4, 21, 0, 0, DateTimeKind.Utc);

    public long MonotonicTicks => Volatile.Read(ref _ticks);

    public DateTime UtcNow => Utc;

    public void Advance(TimeSpan by)
    {
        Interlocked.Add(ref _ticks, (long)(by.TotalSeconds * Stopwatch.Frequency));
        Utc += by;
    }
}

/// <summary>An on-us authorizer double: answers with a scripted decision, records every call, commit and abort.</summary>
internal sealed class ScriptedOnUs : IOnUsAuthorizer
{
    public Func<OnUsRequest, OnUsDecision> Decide { get; set; } = _ => Approve();

    /// <summary>When set, AuthorizeAsync waits for it before deciding (in-flight and deadline tests).</summary>
    public TaskCompletionSource? Gate { get; set; }

    public ConcurrentQueue<OnUsRequest> Calls { get; } = new();
    public ConcurrentQueue<OnUsDecision> Commits { get; } = new();
    public ConcurrentQueue<OnUsDecision> Aborts { get; } = new();

    public static OnUsDecision Approve(string code = "00", string? approval = "A00001", string? de54 = null) => new()
    {
        ResponseCode = code,
        ApprovalCode = code == "00" ? approval : null,
        AdditionalAmounts = de54,
        Effects = code == "00" ? [new JournalEvent { Kind = LegKind.BalanceDebit, TransactionId = "set-by-test", AccountId = "ACC-A", AmountMinor = 1, CurrencyNumeric = 840, Detail = "debit" }] : [],
    };

    public async ValueTask<OnUsDecision> AuthorizeAsync(OnUsRequest request, CancellationToken ct)
    {
        Calls.Enqueue(request);
        if (Gate is { } gate) await gate.Task.WaitAsync(ct);
        return Decide(request);
    }

    public void Commit(OnUsDecision decision) => Commits.Enqueue(decision);

    public void Abort(OnUsDecision decision) => Aborts.Enqueue(decision);

    public void Apply(JournalRecord record) { }
}

/// <summary>An issuer gateway double: answers 00 (or a scripted decision) and records calls.</summary>
internal sealed class ScriptedIssuers : IIssuerGateway
{
    public Func<IssuerRequest, IssuerDecision> Decide { get; set; } = r => new IssuerDecision { ResponseCode = "00", ApprovalCode = "R00001", Destination = r.Route.Destination };

    public TaskCompletionSource? Gate { get; set; }

    public ConcurrentQueue<IssuerRequest> Calls { get; } = new();
    public ConcurrentQueue<IssuerDecision> Commits { get; } = new();
    public ConcurrentQueue<IssuerDecision> Aborts { get; } = new();

    public async ValueTask<IssuerDecision> AuthorizeAsync(IssuerRequest request, CancellationToken ct)
    {
        Calls.Enqueue(request);
        if (Gate is { } gate) await gate.Task.WaitAsync(ct);
        return Decide(request);
    }

    public void Commit(IssuerDecision decision) => Commits.Enqueue(decision);

    public void Abort(IssuerDecision decision) => Aborts.Enqueue(decision);

    public void Apply(JournalRecord record) { }
}

/// <summary>An in-memory journal for unit tests of the pipeline's logic: records each append; can be told to refuse.</summary>
internal sealed class MemoryJournal : IJournal
{
    public ConcurrentQueue<IReadOnlyList<JournalEvent>> Appends { get; } = new();

    public bool Refuse { get; set; }

    public JournalHealth Health => Refuse ? JournalHealth.Unhealthy : JournalHealth.Healthy;

    public IEnumerable<JournalEvent> Events => Appends.SelectMany(a => a);

    public ValueTask AppendAsync(IReadOnlyList<JournalEvent> events, CancellationToken cancellationToken)
    {
        if (Refuse) return ValueTask.FromException(new JournalUnavailableException("spool refused the append (test)"));
        // A copy: the pipeline's list belongs to its context.
        Appends.Enqueue([.. events]);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A key ring over keys the test imported.</summary>
internal sealed class TestKeyRing(IReadOnlyDictionary<string, SecureKey> keys) : IKeyRing
{
    public ValueTask<SecureKey> GetAsync(string name, CancellationToken ct) =>
        keys.TryGetValue(name, out var key) ? ValueTask.FromResult(key) : ValueTask.FromException<SecureKey>(new KeyNotFoundException($"no key {name}"));
}

/// <summary>
/// The retail MAC (ISO 9797-1 algorithm 3, padding method 1) computed independently of Switch.Security, with the
/// platform's single DES: the tests check the switch's MACs against it.
/// </summary>
internal static class ReferenceMac
{
#pragma warning disable CA5351 // The retail MAC is single DES by definition (ISO 9797-1 algorithm 3); this is its reference.
    public static byte[] Compute(ReadOnlySpan<byte> key16, ReadOnlySpan<byte> data)
    {
        using var k1 = DES.Create();
        k1.Key = key16[..8].ToArray();
        using var k2 = DES.Create();
        k2.Key = key16[8..16].ToArray();
        int blocks = Math.Max(1, (data.Length + 7) / 8);
        var padded = new byte[blocks * 8];
        data.CopyTo(padded);
        var state = new byte[8];
        for (int b = 0; b < blocks; b++)
        {
            for (int i = 0; i < 8; i++) state[i] ^= padded[b * 8 + i];
            state = k1.EncryptEcb(state, PaddingMode.None);
        }
        state = k2.DecryptEcb(state, PaddingMode.None);
        return k1.EncryptEcb(state, PaddingMode.None);
    }
#pragma warning restore CA5351
}
