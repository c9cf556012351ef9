using Npgsql;
using NpgsqlTypes;

namespace Switch.Journal.Postgres;

/// <summary>What writing one batch did.</summary>
public readonly record struct BatchOutcome(bool Fenced, int LegsInserted, int LegsDuplicate, int TransactionsTouched)
{
    /// <summary>The batch was refused because another owner of a partition had already stored a later offset; nothing was written.</summary>
    public static BatchOutcome FencedOut { get; } = new(true, 0, 0, 0);
}

/// <summary>
/// The projection's Postgres side: writes a batch of legs, the tranlog rows they change and the Kafka offsets they
/// cover in one transaction, so a batch is either entirely in the database, offsets included, or not at all.
/// Legs go through a binary COPY into a per-session staging table and on into journal_leg with ON CONFLICT DO NOTHING,
/// so an event id seen twice (a producer's resend after a fatal error) is stored once; only the legs actually inserted
/// change the tranlog. A partition's stored offset only moves forward from where the batch started (a fence), so a
/// previous owner still running after a rebalance cannot write an old batch over a newer one.
/// </summary>
public sealed class ProjectionStore(NpgsqlDataSource dataSource, string consumerGroup)
{
    /// <summary>The consumer group whose offsets this store keeps.</summary>
    public string ConsumerGroup { get; } = consumerGroup;

    /// <summary>Test seam for fault tests: runs after the batch is written and before it commits ("killed between write and commit").</summary>
    internal Func<CancellationToken, Task>? BeforeCommitAsync { get; set; }

    /// <summary>The stored next offsets of the given partitions (absent when never written).</summary>
    public async Task<IReadOnlyList<StoredOffset>> ReadOffsetsAsync(string topic, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT partition, next_offset FROM projection_offset WHERE consumer_group = $1 AND topic = $2 ORDER BY partition");
        command.Parameters.Add(new NpgsqlParameter { Value = ConsumerGroup });
        command.Parameters.Add(new NpgsqlParameter { Value = topic });
        var offsets = new List<StoredOffset>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            offsets.Add(new StoredOffset(topic, reader.GetInt32(0), reader.GetInt64(1)));
        return offsets;
    }

    /// <summary>
    /// The legs of node <paramref name="node"/> with <paramref name="fromSequence"/> ≤ sequence ≤ <paramref name="throughSequence"/>,
    /// in sequence order, read in pages of <paramref name="pageRows"/> (each page its own short statement).
    /// </summary>
    public async IAsyncEnumerable<JournalLegRow> ReadLegsAsync(uint node, long fromSequence, long throughSequence, int pageRows,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long next = fromSequence;
        while (next <= throughSequence)
        {
            var page = new List<JournalLegRow>(Math.Min(pageRows, 4096));
            await using (var command = dataSource.CreateCommand($"SELECT {LegColumns} FROM journal_leg WHERE event_node = $1 AND event_seq >= $2 AND event_seq <= $3 ORDER BY event_seq LIMIT $4"))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = (long)node });
                command.Parameters.Add(new NpgsqlParameter { Value = next });
                command.Parameters.Add(new NpgsqlParameter { Value = throughSequence });
                command.Parameters.Add(new NpgsqlParameter { Value = (long)pageRows });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) page.Add(ReadLeg(reader));
            }
            foreach (var row in page) yield return row;
            if (page.Count < pageRows) yield break;
            next = page[^1].EventId.Sequence + 1;
        }
    }

    /// <summary>The sequences of node <paramref name="node"/> stored in [<paramref name="fromSequence"/>, <paramref name="throughSequence"/>], ascending.</summary>
    public async Task<List<long>> StoredSequencesAsync(uint node, long fromSequence, long throughSequence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT event_seq FROM journal_leg WHERE event_node = $1 AND event_seq >= $2 AND event_seq <= $3 ORDER BY event_seq");
        command.Parameters.Add(new NpgsqlParameter { Value = (long)node });
        command.Parameters.Add(new NpgsqlParameter { Value = fromSequence });
        command.Parameters.Add(new NpgsqlParameter { Value = throughSequence });
        var stored = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) stored.Add(reader.GetInt64(0));
        return stored;
    }

    /// <summary>The highest sequence of node <paramref name="node"/> in journal_leg (0 when none).</summary>
    public async Task<long> HighestSequenceAsync(uint node, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(event_seq), 0) FROM journal_leg WHERE event_node = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = (long)node });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Forgets the group's stored offsets on <paramref name="topic"/> (a new, empty mock cluster: its offsets start again at 0).</summary>
    public async Task<int> ForgetOffsetsAsync(string topic, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM projection_offset WHERE consumer_group = $1 AND topic = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = ConsumerGroup });
        command.Parameters.Add(new NpgsqlParameter { Value = topic });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string LegColumns = """
        event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, pan_hash, pan_encrypted, amount_minor, currency, stan, rrn,
        terminal_id, acquirer_id, response_code, final_response, reversal_rank, processing_code, merchant_id, route, destination,
        approval_code, account_id, detail, latency_us, currency_numeric, event_time_ticks
        """;

    private static JournalLegRow ReadLeg(NpgsqlDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        byte[]? Bytes(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);
        return new JournalLegRow(
            new Events.EventId((uint)r.GetInt64(0), r.GetInt64(1)), r.GetString(2), r.GetString(3),
            new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(4), DateTimeKind.Utc)), r.GetString(5), Text(6), Bytes(7), Bytes(8),
            r.IsDBNull(9) ? null : r.GetInt64(9), Text(10)?.TrimEnd(), Text(11), Text(12), Text(13), Text(14), Text(15), r.GetBoolean(16),
            (ReversalProgress)r.GetInt16(17), Text(18), Text(19), Text(20), Text(21), Text(22), Text(23), Text(24),
            r.IsDBNull(25) ? 0 : r.GetInt64(25), r.IsDBNull(26) ? 0 : r.GetInt32(26), r.IsDBNull(27) ? (short)0 : r.GetInt16(27));
    }

    /// <summary>Writes the batch in one transaction; returns <see cref="BatchOutcome.FencedOut"/> (nothing written) when a range was already passed.</summary>
    public Task<BatchOutcome> WriteAsync(
        IReadOnlyList<ProjectedLeg> legs, IReadOnlyList<ProjectedReject> rejects, IReadOnlyList<PartitionRange> ranges,
        CancellationToken cancellationToken) => WriteAsync(LegCopyBatch.Of(legs), rejects, ranges, cancellationToken);

    /// <summary>Writes the encoded batch in one transaction; returns <see cref="BatchOutcome.FencedOut"/> (nothing written) when a range was already passed.</summary>
    public async Task<BatchOutcome> WriteAsync(
        LegCopyBatch legs, IReadOnlyList<ProjectedReject> rejects, IReadOnlyList<PartitionRange> ranges, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(ranges.Count);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The offsets first: the UPDATE locks each partition's row, so a competing writer waits for this commit and
        // then finds the offset moved past its own first offset.
        if (!await AdvanceOffsetsAsync(connection, transaction, ranges, cancellationToken).ConfigureAwait(false))
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return BatchOutcome.FencedOut;
        }
        (int inserted, int touched) = legs.Count == 0 ? (0, 0)
            : await WriteLegsAsync(connection, transaction, legs, cancellationToken).ConfigureAwait(false);
        if (rejects.Count > 0) await WriteRejectsAsync(connection, transaction, rejects, cancellationToken).ConfigureAwait(false);
        if (BeforeCommitAsync is { } beforeCommit) await beforeCommit(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new BatchOutcome(false, inserted, legs.Added - inserted, touched);
    }

    private async Task<bool> AdvanceOffsetsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PartitionRange> ranges, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var range in ranges)
        {
            if (range.NextOffset <= range.FirstOffset) throw new ArgumentException($"empty range for {range.Topic}[{range.Partition}]", nameof(ranges));
            var create = new NpgsqlBatchCommand(
                "INSERT INTO projection_offset (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING");
            AddKey(create, range);
            batch.BatchCommands.Add(create);
            var advance = new NpgsqlBatchCommand(
                "UPDATE projection_offset SET next_offset = $4, updated_at = now() WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND next_offset <= $5");
            AddKey(advance, range);
            advance.Parameters.Add(new NpgsqlParameter { Value = range.NextOffset });
            advance.Parameters.Add(new NpgsqlParameter { Value = range.FirstOffset });
            batch.BatchCommands.Add(advance);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        for (int i = 1; i < batch.BatchCommands.Count; i += 2)
        {
            if (batch.BatchCommands[i].RecordsAffected != 1) return false;
        }
        return true;
    }

    private void AddKey(NpgsqlBatchCommand command, PartitionRange range)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = ConsumerGroup });
        command.Parameters.Add(new NpgsqlParameter { Value = range.Topic });
        command.Parameters.Add(new NpgsqlParameter { Value = range.Partition });
    }

    /// <summary>
    /// Whether a batch is first tried by a binary COPY straight into journal_leg (true): a duplicate event id makes the
    /// COPY fail with a unique violation, the batch rolls back to a savepoint and takes the staging path, which drops
    /// duplicates one by one. false: always the staging path (the benchmark's A/B).
    /// </summary>
    internal bool DirectCopy { get; set; } = true;

    private async Task<(int Inserted, int Touched)> WriteLegsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, LegCopyBatch legs, CancellationToken cancellationToken)
    {
        if (DirectCopy)
        {
            await transaction.SaveAsync("direct", cancellationToken).ConfigureAwait(false);
            try
            {
                await CopyAsync(connection, legs, DirectCopySql, cancellationToken).ConfigureAwait(false);
                int touched = await UpsertTranlogAsync(connection, transaction, legs, cancellationToken).ConfigureAwait(false);
                return (legs.Count, touched);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // An event already stored (a resend): the staging path below inserts only the new ones.
                await transaction.RollbackAsync("direct", cancellationToken).ConfigureAwait(false);
            }
        }
        return await StageAndMergeAsync(connection, transaction, legs, cancellationToken).ConfigureAwait(false);
    }

    // Every leg of the batch is new (the direct COPY succeeded): the tranlog rows are aggregated here, one per
    // transaction, copied into a per-session staging table and upserted in one statement, with the same rules as the
    // staging path's SQL aggregate.
    private static async Task<int> UpsertTranlogAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, LegCopyBatch legs, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand(TranlogStageSql, connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var copy = await connection.BeginBinaryImportAsync(TranlogCopySql, cancellationToken).ConfigureAwait(false))
        {
            foreach (var t in legs.TranlogRows)
            {
                copy.StartRow();
                copy.Write(t.TxnId, NpgsqlDbType.Text);
                copy.Write(t.First.UtcDateTime, NpgsqlDbType.TimestampTz);
                copy.Write(t.Last.UtcDateTime, NpgsqlDbType.TimestampTz);
                copy.Write(t.State, NpgsqlDbType.Text);
                copy.Write(t.Mti, NpgsqlDbType.Text);
                WriteNullable(copy, t.PanMasked, NpgsqlDbType.Text);
                if (t.AmountMinor is long amount) copy.Write(amount, NpgsqlDbType.Bigint);
                else copy.WriteNull();
                WriteNullable(copy, t.Currency, NpgsqlDbType.Text);
                WriteNullable(copy, t.Stan, NpgsqlDbType.Text);
                WriteNullable(copy, t.Rrn, NpgsqlDbType.Text);
                WriteNullable(copy, t.TerminalId, NpgsqlDbType.Text);
                WriteNullable(copy, t.FinalResponse, NpgsqlDbType.Text);
                if (t.FinalAt is DateTimeOffset at) copy.Write(at.UtcDateTime, NpgsqlDbType.TimestampTz);
                else copy.WriteNull();
                copy.Write(t.ReversalRank switch { 2 => "reversed", 1 => "requested", _ => "none" }, NpgsqlDbType.Text);
                copy.Write(t.LegCount, NpgsqlDbType.Integer);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var upsert = new NpgsqlCommand(TranlogUpsertFromStageSql, connection, transaction);
        return await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(int Inserted, int Touched)> StageAndMergeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, LegCopyBatch legs, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand(StagingTableSql, connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await CopyAsync(connection, legs, CopySql, cancellationToken).ConfigureAwait(false);
        await using var merge = new NpgsqlCommand(MergeSql, connection, transaction);
        await using var reader = await merge.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    // The tuples were encoded as the legs were read: the COPY is one stream of bytes.
    private static async Task CopyAsync(NpgsqlConnection connection, LegCopyBatch legs, string copySql, CancellationToken cancellationToken)
    {
        var copy = await connection.BeginRawBinaryCopyAsync(copySql, cancellationToken).ConfigureAwait(false);
        await using (copy.ConfigureAwait(false))
            await copy.WriteAsync(legs.CopyStream(), cancellationToken).ConfigureAwait(false);
    }

    private static void WriteNullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type) where T : class
    {
        if (value is null) copy.WriteNull();
        else copy.Write(value, type);
    }

    private async Task WriteRejectsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ProjectedReject> rejects, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO projection_reject (consumer_group, topic, partition, kafka_offset, reason)
            SELECT $1, t, p, o, r FROM unnest($2::text[], $3::int[], $4::bigint[], $5::text[]) AS x(t, p, o, r)
            ON CONFLICT DO NOTHING
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = ConsumerGroup });
        command.Parameters.Add(new NpgsqlParameter { Value = rejects.Select(r => r.Topic).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rejects.Select(r => r.Partition).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rejects.Select(r => r.Offset).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rejects.Select(r => r.Reason).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Per session, emptied at every commit or rollback, so a batch never sees another batch's rows.
    private const string StagingTableSql = """
        CREATE TEMP TABLE IF NOT EXISTS journal_leg_stage (
            event_node bigint, event_seq bigint, txn_id text, leg text, event_time timestamptz, mti text, pan_masked text, pan_last4 text,
            pan_hash bytea, pan_encrypted bytea, amount_minor bigint, currency text, stan text, rrn text, terminal_id text,
            acquirer_id text, response_code text, source_topic text, source_partition integer, source_offset bigint,
            final_response boolean, reversal_rank smallint, processing_code text, merchant_id text, route text, destination text,
            approval_code text, account_id text, detail text, latency_us bigint, currency_numeric integer, event_time_ticks smallint)
            ON COMMIT DELETE ROWS
        """;

    private const string CopySql = $"COPY journal_leg_stage ({LegCopyBatch.Columns}) FROM STDIN (FORMAT BINARY)";

    private const string DirectCopySql = $"COPY journal_leg ({LegCopyBatch.Columns}) FROM STDIN (FORMAT BINARY)";

    private const string TranlogStageSql = """
        CREATE TEMP TABLE IF NOT EXISTS tranlog_stage (
            txn_id text, first_event_at timestamptz, last_event_at timestamptz, state text, mti text, pan_masked text,
            amount_minor bigint, currency text, stan text, rrn text, terminal_id text, final_response text,
            final_response_at timestamptz, reversal_status text, leg_count integer) ON COMMIT DELETE ROWS
        """;

    private const string TranlogCopySql = """
        COPY tranlog_stage (txn_id, first_event_at, last_event_at, state, mti, pan_masked, amount_minor, currency, stan, rrn,
            terminal_id, final_response, final_response_at, reversal_status, leg_count) FROM STDIN (FORMAT BINARY)
        """;

    // How a batch's aggregate of one transaction merges into its tranlog row (both write paths): leg counts add up, the
    // state follows the latest leg, the MTI the earliest, descriptive fields keep the first value, the final response the
    // latest, and the reversal status only advances.
    private const string TranlogMergeSql = """
            ON CONFLICT (txn_id) DO UPDATE SET
                leg_count = t.leg_count + excluded.leg_count,
                state = CASE WHEN excluded.last_event_at >= t.last_event_at THEN excluded.state ELSE t.state END,
                mti = CASE WHEN excluded.first_event_at < t.first_event_at THEN excluded.mti ELSE t.mti END,
                first_event_at = least(t.first_event_at, excluded.first_event_at),
                last_event_at = greatest(t.last_event_at, excluded.last_event_at),
                pan_masked = coalesce(t.pan_masked, excluded.pan_masked),
                amount_minor = coalesce(t.amount_minor, excluded.amount_minor),
                currency = coalesce(t.currency, excluded.currency),
                stan = coalesce(t.stan, excluded.stan),
                rrn = coalesce(t.rrn, excluded.rrn),
                terminal_id = coalesce(t.terminal_id, excluded.terminal_id),
                final_response = CASE WHEN excluded.final_response_at IS NOT NULL
                        AND (t.final_response_at IS NULL OR excluded.final_response_at >= t.final_response_at)
                    THEN excluded.final_response ELSE t.final_response END,
                final_response_at = greatest(t.final_response_at, excluded.final_response_at),
                reversal_status = CASE WHEN (CASE excluded.reversal_status WHEN 'reversed' THEN 2 WHEN 'requested' THEN 1 ELSE 0 END)
                        > (CASE t.reversal_status WHEN 'reversed' THEN 2 WHEN 'requested' THEN 1 ELSE 0 END)
                    THEN excluded.reversal_status ELSE t.reversal_status END,
                updated_at = now()
        """;

    // The same upsert as the staging path's (MergeSql), fed by the rows aggregated in C#.
    private const string TranlogUpsertFromStageSql = $"""
            INSERT INTO tranlog AS t (txn_id, first_event_at, last_event_at, state, mti, pan_masked, amount_minor, currency,
                stan, rrn, terminal_id, final_response, final_response_at, reversal_status, leg_count)
            SELECT txn_id, first_event_at, last_event_at, state, mti, pan_masked, amount_minor, currency, stan, rrn, terminal_id,
                final_response, final_response_at, reversal_status, leg_count
            FROM tranlog_stage
            {TranlogMergeSql}
        """;

    // One statement: the legs not yet stored go into journal_leg; only those (RETURNING) change the tranlog. The state
    // comes from the transaction's latest leg, the MTI from its earliest, the final response from its latest
    // final-response leg; the descriptive fields (PAN masked, amount, STAN, RRN, terminal) are the same on every leg of
    // a transaction, so a plain max() picks them without a sort; the reversal status only ever advances
    // (none < requested < reversed). Measured: this shape costs half the time of one ordered aggregate per column.
    private const string MergeSql = $"""
        WITH ins AS (
            INSERT INTO journal_leg (event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, pan_last4, pan_hash, pan_encrypted,
                amount_minor, currency, stan, rrn, terminal_id, acquirer_id, response_code, final_response, reversal_rank,
                source_topic, source_partition, source_offset, processing_code, merchant_id, route, destination, approval_code,
                account_id, detail, latency_us, currency_numeric, event_time_ticks)
            SELECT event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, pan_last4, pan_hash, pan_encrypted,
                amount_minor, currency, stan, rrn, terminal_id, acquirer_id, response_code, final_response, reversal_rank,
                source_topic, source_partition, source_offset, processing_code, merchant_id, route, destination, approval_code,
                account_id, detail, latency_us, currency_numeric, event_time_ticks
            FROM journal_leg_stage
            ON CONFLICT (event_node, event_seq) DO NOTHING
            RETURNING txn_id, leg, event_time, mti, pan_masked, amount_minor, currency, stan, rrn, terminal_id, response_code,
                final_response, reversal_rank, source_partition, source_offset
        ), agg AS (
            SELECT txn_id,
                count(*)::integer AS leg_count,
                min(event_time) AS first_event_at,
                max(event_time) AS last_event_at,
                (array_agg(leg ORDER BY event_time DESC, source_partition DESC, source_offset DESC))[1] AS state,
                (array_agg(mti ORDER BY event_time, source_partition, source_offset))[1] AS mti,
                max(pan_masked) AS pan_masked, max(amount_minor) AS amount_minor, max(currency) AS currency,
                max(stan) AS stan, max(rrn) AS rrn, max(terminal_id) AS terminal_id,
                (array_agg(response_code ORDER BY event_time DESC, source_partition DESC, source_offset DESC) FILTER (WHERE final_response))[1] AS final_response,
                max(event_time) FILTER (WHERE final_response) AS final_response_at,
                max(reversal_rank) AS reversal_rank
            FROM ins GROUP BY txn_id
        ), up AS (
            INSERT INTO tranlog AS t (txn_id, first_event_at, last_event_at, state, mti, pan_masked, amount_minor, currency,
                stan, rrn, terminal_id, final_response, final_response_at, reversal_status, leg_count)
            SELECT txn_id, first_event_at, last_event_at, state, mti, pan_masked, amount_minor, currency, stan, rrn, terminal_id,
                final_response, final_response_at,
                CASE reversal_rank WHEN 2 THEN 'reversed' WHEN 1 THEN 'requested' ELSE 'none' END, leg_count
            FROM agg
            {TranlogMergeSql}
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM up)
        """;
}
