using System.Text;
using Npgsql;
using Switch.Journal.Events;

namespace Switch.Journal.Postgres;

/// <summary>What <see cref="JournalQuery.FindAsync"/> looks for; every criterion given must match (null means any). RRN, STAN and terminal match the transaction.</summary>
public sealed record LegFilter(string? Rrn = null, string? Stan = null, string? TerminalId = null, string? PanLast4 = null,
    DateTimeOffset? Since = null, DateTimeOffset? Until = null);

/// <summary>One stored leg as operators see it: the PAN masked (6/4), nothing else of the card.</summary>
public sealed record LegView(EventId EventId, string TxnId, string Leg, DateTimeOffset Time, string Mti, string? PanMasked,
    long? AmountMinor, string? Currency, string? Stan, string? Rrn, string? TerminalId, string? AcquirerId, string? ResponseCode);

/// <summary>Look-ups of the projection for operators (<c>switch journal find</c>).</summary>
public static class JournalQuery
{
    /// <summary>Legs matching <paramref name="filter"/>, oldest first; at most <paramref name="rowsMax"/> (the newest ones) and whether more matched.</summary>
    public static async Task<(IReadOnlyList<LegView> Legs, bool Truncated)> FindAsync(
        NpgsqlDataSource dataSource, LegFilter filter, int rowsMax, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsMax, 1);
        await using var command = dataSource.CreateCommand();
        var where = new List<string>();
        // RRN, STAN and terminal select transactions (tranlog is indexed on them; journal_leg deliberately is not), and
        // every leg of those transactions is shown, including legs that do not carry the field themselves.
        var byTransaction = new List<string>();
        AddCriterion(command, byTransaction, "rrn", filter.Rrn);
        AddCriterion(command, byTransaction, "stan", filter.Stan);
        AddCriterion(command, byTransaction, "terminal_id", filter.TerminalId);
        if (byTransaction.Count > 0) where.Add($"txn_id IN (SELECT txn_id FROM tranlog WHERE {string.Join(" AND ", byTransaction)})");
        AddCriterion(command, where, "pan_last4", filter.PanLast4);
        if (filter.Since is { } since) AddCriterion(command, where, "event_time >=", since.UtcDateTime);
        if (filter.Until is { } until) AddCriterion(command, where, "event_time <", until.UtcDateTime);
        var sql = new StringBuilder("""
            SELECT event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, amount_minor, currency, stan, rrn,
                   terminal_id, acquirer_id, response_code
            FROM journal_leg
            """);
        if (where.Count > 0) sql.Append(" WHERE ").AppendJoin(" AND ", where);
        // The newest rowsMax + 1 (one more tells that the answer was cut), returned oldest first.
        sql.Append($" ORDER BY event_time DESC, event_node DESC, event_seq DESC LIMIT {rowsMax + 1}");
        command.CommandText = sql.ToString();
        var legs = new List<LegView>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                legs.Add(new LegView(
                    new EventId((uint)reader.GetInt64(0), reader.GetInt64(1)), reader.GetString(2), reader.GetString(3),
                    new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero), reader.GetString(5), Text(reader, 6),
                    reader.IsDBNull(7) ? null : reader.GetInt64(7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
                    Text(reader, 11), Text(reader, 12), Text(reader, 13)));
            }
        }
        bool truncated = legs.Count > rowsMax;
        if (truncated) legs.RemoveAt(legs.Count - 1);
        legs.Reverse();
        return (legs, truncated);
    }

    private static void AddCriterion(NpgsqlCommand command, List<string> where, string column, object? value)
    {
        if (value is null) return;
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        string op = column.Contains(' ', StringComparison.Ordinal) ? "" : " =";
        where.Add($"{column}{op} ${command.Parameters.Count}");
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
