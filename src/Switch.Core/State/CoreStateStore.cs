using Npgsql;
using NpgsqlTypes;
using Switch.Postgres;

namespace Switch.Core.State;

/// <summary>A snapshot row: the journal sequence it covers and its bytes.</summary>
public sealed record StoredSnapshot(long Sequence, byte[] State);

/// <summary>
/// Core state snapshots in Postgres (table core_state_snapshot, area "corestate"). A write is one transaction: the new
/// row, then every row of the node but the newest two deleted — so the row and its position are written together, and
/// a crash mid-write leaves the previous snapshot (a snapshot is only a shortcut: an older one means a longer replay).
/// </summary>
public sealed class CoreStateStore(NpgsqlDataSource dataSource)
{
    /// <summary>Snapshots kept per node (the newest, and the one before in case the newest cannot be read).</summary>
    public const int KeptPerNode = 2;

    /// <summary>The schema: migrations embedded from State/Migrations, recorded in corestate_schema_migrations under advisory-lock key "SWCOREST".</summary>
    public static SchemaMigrator Schema { get; } =
        new("corestate", typeof(CoreStateStore).Assembly, "Switch.Core.State.Migrations.", "corestate_schema_migrations", 0x5357_434F_5245_5354);

    /// <summary>
    /// The node's snapshots at or below <paramref name="throughMax"/> (the journal's durable end), newest first.
    /// Snapshots above it are deleted first (the journal lost records they cover, e.g. a wiped spool ahead of the
    /// projection, and it will number new records into their range) and their count returned.
    /// </summary>
    public async Task<(IReadOnlyList<StoredSnapshot> Snapshots, int DeletedAhead)> LoadAsync(uint nodeId, long throughMax, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        int deleted;
        await using (var delete = new NpgsqlCommand("DELETE FROM core_state_snapshot WHERE node_id = $1 AND sequence > $2", connection))
        {
            delete.Parameters.AddWithValue((long)nodeId);
            delete.Parameters.AddWithValue(throughMax);
            deleted = await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var found = new List<StoredSnapshot>();
        await using var select = new NpgsqlCommand(
            "SELECT sequence, state FROM core_state_snapshot WHERE node_id = $1 AND format = $2 ORDER BY sequence DESC LIMIT $3", connection);
        select.Parameters.AddWithValue((long)nodeId);
        select.Parameters.AddWithValue(CoreStateSnapshot.Format);
        select.Parameters.AddWithValue(KeptPerNode);
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) found.Add(new StoredSnapshot(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
        return (found, deleted);
    }

    /// <summary>Writes a snapshot and keeps the node's newest <see cref="KeptPerNode"/>, in one transaction.</summary>
    public async Task WriteAsync(uint nodeId, long sequence, byte[] state, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO core_state_snapshot (node_id, sequence, format, state) VALUES ($1, $2, $3, $4)
            ON CONFLICT (node_id, sequence) DO UPDATE SET format = excluded.format, state = excluded.state, taken_at = now()
            """, connection, tx))
        {
            insert.Parameters.AddWithValue((long)nodeId);
            insert.Parameters.AddWithValue(sequence);
            insert.Parameters.AddWithValue(CoreStateSnapshot.Format);
            insert.Parameters.Add(new NpgsqlParameter { Value = state, NpgsqlDbType = NpgsqlDbType.Bytea });
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var trim = new NpgsqlCommand("""
            DELETE FROM core_state_snapshot WHERE node_id = $1 AND sequence NOT IN (
                SELECT sequence FROM core_state_snapshot WHERE node_id = $1 ORDER BY sequence DESC LIMIT $2)
            """, connection, tx))
        {
            trim.Parameters.AddWithValue((long)nodeId);
            trim.Parameters.AddWithValue(KeptPerNode);
            await trim.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }
}
