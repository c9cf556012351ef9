using System.Diagnostics;
using Npgsql;
using Switch.Journal.Events;

namespace Switch.Journal.Postgres.Tests;

/// <summary>Checks of the projection against what was produced: I1 (every approved transaction once) and I4 (no clear PAN).</summary>
internal static class ExactlyOnce
{
    /// <summary>Waits until journal_leg holds <paramref name="expected"/> rows (Postgres may be away for a while meanwhile).</summary>
    public static async Task WaitForLegsAsync(string connectionString, long expected, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long seen = -1;
        while (clock.Elapsed < timeout)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var count = new NpgsqlCommand("SELECT count(*) FROM journal_leg", connection);
                seen = (long)(await count.ExecuteScalarAsync())!;
                if (seen >= expected) return;
            }
            catch (NpgsqlException)
            {
                // Postgres is down on purpose in the fault tests.
            }
            await Task.Delay(200);
        }
        Assert.Fail($"journal_leg has {seen} rows after {timeout}; expected {expected}");
    }

    /// <summary>0 missing, 0 doubled legs; one tranlog row per transaction with the approval as its final response; no clear PAN.</summary>
    public static async Task AssertAsync(string connectionString, IReadOnlyCollection<EventId> produced, IReadOnlyCollection<string> transactions)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var stored = new List<EventId>();
        await using (var legs = new NpgsqlCommand("SELECT event_node, event_seq FROM journal_leg", connection))
        await using (var reader = await legs.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) stored.Add(new EventId((uint)reader.GetInt64(0), reader.GetInt64(1)));
        }
        var expected = produced.ToHashSet();
        int missing = expected.Count(id => !stored.Contains(id));
        int doubled = stored.Count - stored.Distinct().Count();
        int foreign = stored.Count(id => !expected.Contains(id));
        Assert.Equal((0, 0, 0), (missing, doubled, foreign));

        await using var tranlog = new NpgsqlCommand("""
            SELECT count(*), count(*) FILTER (WHERE final_response = '00' AND state = 'response_out'), coalesce(sum(leg_count), 0),
                   (SELECT count(*) FROM journal_leg WHERE pan_masked ~ '^[0-9]{12,19}$')
            FROM tranlog
            """, connection);
        await using var t = await tranlog.ExecuteReaderAsync();
        await t.ReadAsync();
        Assert.Equal((long)transactions.Count, t.GetInt64(0));
        Assert.Equal((long)transactions.Count, t.GetInt64(1));
        Assert.Equal((long)produced.Count, t.GetInt64(2));
        Assert.Equal(0L, t.GetInt64(3));
    }
}
