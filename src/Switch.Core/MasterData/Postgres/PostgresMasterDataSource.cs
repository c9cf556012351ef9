using Npgsql;

namespace Switch.Core.MasterData.Postgres;

/// <summary>
/// Loads the master data from Postgres as one <see cref="MasterDataSnapshot"/>: every table read in one repeatable-read
/// transaction, so the snapshot is one committed state, and its version is the md_version row's. A database the schema
/// was never applied to gives the empty snapshot (version 0). Every table is bounded by <see cref="MasterDataOptions"/>.
/// </summary>
public sealed class PostgresMasterDataSource(NpgsqlDataSource dataSource, string describe, MasterDataOptions options) : IMasterDataSource
{
    /// <inheritdoc/>
    public Task<MasterDataSnapshot> LoadAsync(CancellationToken ct) => Guard.RunAsync(describe, "master data cannot be read", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        try
        {
            return await ReadSnapshotAsync(connection, options, ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return MasterDataSnapshot.Empty; // `db migrate` or `db seed demo` never ran on this database
        }
    });

    /// <summary>The stored version alone (the listener's cheap check for a missed notification).</summary>
    internal static async Task<long> StoredVersionAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM md_version", connection);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Reads the version and every table in one repeatable-read transaction.</summary>
    internal static async Task<MasterDataSnapshot> ReadSnapshotAsync(NpgsqlConnection connection, MasterDataOptions options, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        long version = await StoredVersionAsync(connection, ct).ConfigureAwait(false);
        var terminals = await ReadAsync(connection, "md_terminal",
            "SELECT terminal_id, merchant_id, tpk_ref, tak_ref, mac_required, bdk_ref, ksn_field FROM md_terminal", options.RowsMax,
            r => new TerminalProfile(r.GetString(0), r.GetString(1), NullableText(r, 2), NullableText(r, 3), r.GetBoolean(4), NullableText(r, 5),
                r.IsDBNull(6) ? null : r.GetInt16(6)), ct).ConfigureAwait(false);
        var bins = await ReadAsync(connection, "md_onus_bin", "SELECT bin, pvk_ref, cvk_ref, currency FROM md_onus_bin", options.RowsMax,
            r => new OnUsBinProfile(r.GetString(0), r.GetString(1), r.GetString(2), (ushort)r.GetInt16(3)), ct).ConfigureAwait(false);
        var issuers = await ReadAsync(connection, "md_issuer", "SELECT destination, zpk_ref, stand_in_limit_minor, currency FROM md_issuer", options.RowsMax,
            r => new IssuerProfile(r.GetString(0), r.GetString(1), r.GetInt64(2), (ushort)r.GetInt16(3)), ct).ConfigureAwait(false);
        var accounts = await ReadAsync(connection, "md_account", "SELECT account_id, currency, opening_balance_minor FROM md_account", options.RowsMax,
            r => new AccountRecord(r.GetString(0), (ushort)r.GetInt16(1), r.GetInt64(2)), ct).ConfigureAwait(false);
        var shared = new SharedStrings();
        var cards = await ReadAsync(connection, "md_card", """
            SELECT pan_hash, pan_masked, account_id, expiry_yymm, service_code, pvki, pvv, status, per_txn_limit_minor, daily_limit_minor FROM md_card
            """, options.CardsMax,
            r => new CardRecord(Convert.ToHexStringLower(r.GetFieldValue<byte[]>(0)), r.GetString(1), r.GetString(2), shared.Of(r.GetString(3)),
                shared.Of(r.GetString(4)), r.GetInt16(5), r.GetString(6), MasterDataStore.ParseStatus(r.GetString(7)), r.GetInt64(8), r.GetInt64(9)), ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return new MasterDataSnapshot(terminals, cards, accounts, bins, issuers, version);
    }

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, string table, string sql, int max, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"{sql} LIMIT {max + 1}", connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (rows.Count == max) throw new MasterDataException($"master data cannot be read: {table} has more than {max} rows (masterData limits)");
            rows.Add(read(reader));
        }
        return rows;
    }

    private static string? NullableText(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>One string instance per distinct value of a low-cardinality column (expiry, service code): a million cards share a few.</summary>
    private sealed class SharedStrings
    {
        private const int DistinctMax = 4096;
        private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);

        public string Of(string value)
        {
            if (_seen.TryGetValue(value, out string? shared)) return shared;
            if (_seen.Count < DistinctMax) _seen[value] = value;
            return value;
        }
    }
}
