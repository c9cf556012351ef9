using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.Pipeline;
using Switch.Journal.Events;

namespace Switch.Core.State;

/// <summary>
/// The core's in-memory state that the journal rebuilds (issue 17): the on-us authorizer's partitions, the issuer
/// gateway's store-and-forward queues and remote index, and duplicate-detection memory. <see cref="Apply"/> folds one
/// durable record into all three; <see cref="WriteAsync"/> and <see cref="ReadAsync"/> are the snapshot of it
/// (<see cref="CoreStateSnapshot"/> says the layout). The host keeps two: the live one the pipeline changes, and a
/// shadow fed only by the journal, from which snapshots are taken (exact at its position, never touched by the hot path).
/// </summary>
public sealed class CoreState(OnUsAuthorizer onUs, IssuerGateway gateway, DuplicateMemory duplicates) : IAsyncDisposable
{
    /// <summary>The on-us authorizer.</summary>
    public OnUsAuthorizer OnUs { get; } = onUs;

    /// <summary>The issuer gateway.</summary>
    public IssuerGateway Gateway { get; } = gateway;

    /// <summary>Duplicate-detection memory.</summary>
    public DuplicateMemory Duplicates { get; } = duplicates;

    /// <summary>The highest journal sequence folded (or read from a snapshot); 0 before any.</summary>
    public long Position { get; private set; }

    /// <summary>Folds one durable record (in sequence order).</summary>
    public void Apply(JournalRecord record)
    {
        OnUs.Apply(record);
        Gateway.Apply(record);
        Duplicates.Apply(record);
        Position = record.Id.Sequence;
    }

    /// <summary>Completes when the on-us partitions have folded everything applied so far.</summary>
    public Task DrainAsync(CancellationToken ct) => OnUs.DrainAsync(ct);

    /// <summary>The state at <see cref="Position"/> as snapshot bytes (call after <see cref="DrainAsync"/>; nothing else may apply meanwhile).</summary>
    public async Task<byte[]> WriteAsync(uint nodeId, string shape, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            CoreStateSnapshot.WriteHeader(w, nodeId, Position, shape);
            await OnUs.WriteSnapshotAsync(w, ct).ConfigureAwait(false);
            Duplicates.WriteSnapshot(w);
            Gateway.WriteSnapshot(w);
            w.Write(CoreStateSnapshot.Magic);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Replaces the state by a snapshot's (at start, before any record is applied); false, with nothing changed, when
    /// the snapshot is of another node or shape. A snapshot that fails while being read throws and leaves this state
    /// unusable (the caller reads it into a throw-away state first).
    /// </summary>
    public async Task<bool> ReadAsync(byte[] snapshot, uint nodeId, string shape, CancellationToken ct)
    {
        using var r = new BinaryReader(new MemoryStream(snapshot), System.Text.Encoding.UTF8);
        if (!CoreStateSnapshot.TryReadHeader(r, nodeId, shape, out long position)) return false;
        if (!await OnUs.ReadSnapshotAsync(r, ct).ConfigureAwait(false)) return false;
        Duplicates.ReadSnapshot(r);
        Gateway.ReadSnapshot(r);
        if (r.ReadInt32() != CoreStateSnapshot.Magic) throw new InvalidDataException("core state snapshot: trailer missing");
        Position = position;
        return true;
    }

    /// <summary>Stops the parts (the shadow's; the live parts are owned by the host).</summary>
    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync().ConfigureAwait(false);
        await OnUs.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// The snapshot's layout, little-endian (BinaryWriter): magic "SWCS", format, node id, journal sequence, shape (the
/// options a rebuild depends on: partitions, bounds, windows, connectors — a snapshot of another shape is not used),
/// then the on-us partitions (accounts, open holds, reversal index, each partition serialized on its own worker), the
/// duplicate-detection entries (key, terminal, when they leave the window, DE39/DE38/DE54), the store-and-forward
/// queues (each entry as its journal queued event plus transmission counts) and the remote index, then the magic again.
/// No clear card data: PANs appear only as the journal holds them (hash, cryptogram, masked).
/// </summary>
public static class CoreStateSnapshot
{
    /// <summary>"SWCS".</summary>
    public const int Magic = 0x53_43_57_53;

    /// <summary>This build's format.</summary>
    public const int Format = 1;

    /// <summary>The options a rebuilt state depends on, as text (a snapshot taken under other options is not used).</summary>
    public static string ShapeOf(CoreOptions options, int partitions, IEnumerable<string> connectors) => string.Join(';',
        $"p={partitions}", $"re={options.ReversalEntriesMax}", $"rw={options.ReversalWindowMs}", $"rt={options.RemoteTransactionsMax}",
        $"de={options.DuplicateEntriesMax}", $"dw={options.DuplicateWindowMs}", "c=" + string.Join(',', connectors.Order(StringComparer.Ordinal)));

    internal static void WriteHeader(BinaryWriter w, uint nodeId, long position, string shape)
    {
        w.Write(Magic);
        w.Write(Format);
        w.Write(nodeId);
        w.Write(position);
        w.Write(shape);
    }

    internal static bool TryReadHeader(BinaryReader r, uint nodeId, string shape, out long position)
    {
        position = 0;
        if (r.ReadInt32() != Magic || r.ReadInt32() != Format || r.ReadUInt32() != nodeId) return false;
        position = r.ReadInt64();
        return r.ReadString() == shape;
    }

    /// <summary>The sequence a snapshot says it covers (its header), or -1 when the bytes are no snapshot.</summary>
    public static long PositionOf(byte[] snapshot)
    {
        if (snapshot.Length < 20) return -1;
        using var r = new BinaryReader(new MemoryStream(snapshot));
        if (r.ReadInt32() != Magic || r.ReadInt32() != Format) return -1;
        r.ReadUInt32();
        return r.ReadInt64();
    }
}
