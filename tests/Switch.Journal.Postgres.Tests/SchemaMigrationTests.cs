using Npgsql;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// The shared migrator (Switch.Postgres.SchemaMigrator) on real Postgres, with the journal's migrations and with sample
/// areas of this test assembly: applied in order, once, one process at a time, one transaction each, and edits of
/// applied ones refused.
/// </summary>
public sealed class SchemaMigrationTests : IAsyncLifetime
{
    private static readonly SchemaMigrator Journal = ProjectionHost.Schema;
    private readonly TestDatabase _db = new() { Migrate = false };

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    private static SchemaMigrator Sample(string folder, string table = "sample_schema_migrations", long lockKey = 0x5357_5445_5354_0001) =>
        new("sample", typeof(SchemaMigrationTests).Assembly, $"Sample.{folder}/", table, lockKey);

    [Fact]
    public void The_embedded_migrations_start_at_version_1_without_gaps()
    {
        var versions = Journal.Embedded.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions);
        Assert.Equal("journal", Journal.Embedded[0].Name);
        Assert.Equal("schema_migrations", Journal.Table);
    }

    [Fact]
    public async Task Migrate_creates_the_journal_tables_and_records_each_version()
    {
        var result = await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);

        Assert.Equal("journal", result.Area);
        Assert.Equal(Journal.Embedded.Count, result.Applied.Count);
        Assert.Equal(Journal.Embedded[^1].Version, result.CurrentVersion);
        foreach (string table in new[] { "journal_leg", "tranlog", "projection_offset", "projection_reject", "schema_migrations" })
            Assert.Equal(1L, await _db.ScalarAsync<long>($"SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '{table}'"));
        Assert.Equal((long)Journal.Embedded.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrate_a_second_time_applies_nothing()
    {
        await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);
        var again = await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);

        Assert.Empty(again.Applied);
        Assert.Equal((long)Journal.Embedded.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_migrations_take_turns_and_each_version_is_applied_once()
    {
        await using var other = NpgsqlDataSource.Create(_db.ConnectionString);
        var runs = await Task.WhenAll(
            Task.Run(() => Journal.MigrateAsync(_db.DataSource, CancellationToken.None)),
            Task.Run(() => Journal.MigrateAsync(other, CancellationToken.None)),
            Task.Run(() => Journal.MigrateAsync(other, CancellationToken.None)));

        Assert.Equal(Journal.Embedded.Count, runs.Sum(r => r.Applied.Count));
        Assert.Equal((long)Journal.Embedded.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrate_waits_while_another_process_holds_the_migration_lock()
    {
        await using var holder = await _db.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({Journal.AdvisoryLockKey})", holder))
            await take.ExecuteNonQueryAsync();

        await using var other = NpgsqlDataSource.Create(_db.ConnectionString);
        var run = Task.Run(() => Journal.MigrateAsync(other, CancellationToken.None));
        await Task.Delay(500);
        Assert.False(run.IsCompleted);

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({Journal.AdvisoryLockKey})", holder))
            await release.ExecuteNonQueryAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Journal.Embedded.Count, result.Applied.Count);
    }

    [Fact]
    public async Task Migrate_refuses_an_applied_migration_that_was_changed()
    {
        await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);
        await using (var edit = _db.DataSource.CreateCommand("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"))
            await edit.ExecuteNonQueryAsync();

        var ex = await Assert.ThrowsAsync<SchemaMigrationException>(() => Journal.MigrateAsync(_db.DataSource, CancellationToken.None));
        Assert.Equal("journal migration 1 (journal) was changed after it was applied", ex.Message);
    }

    [Fact]
    public async Task Migrate_refuses_a_database_newer_than_this_build()
    {
        await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);
        await using (var ahead = _db.DataSource.CreateCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')"))
            await ahead.ExecuteNonQueryAsync();

        var ex = await Assert.ThrowsAsync<SchemaMigrationException>(() => Journal.MigrateAsync(_db.DataSource, CancellationToken.None));
        Assert.Equal($"the database has journal schema version 9999, newer than this build's {Journal.NewestVersion}", ex.Message);
    }

    [Fact]
    public async Task A_migration_that_fails_halfway_leaves_nothing_of_itself_and_the_earlier_ones_stay()
    {
        var broken = Sample("Broken");

        var ex = await Assert.ThrowsAsync<PostgresException>(() => broken.MigrateAsync(_db.DataSource, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.DivisionByZero, ex.SqlState);
        Assert.Equal(1, await _db.ScalarAsync<int>("SELECT max(version) FROM sample_schema_migrations"));
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'broken_fine'"));
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'broken_half'"));
    }

    [Fact]
    public async Task Two_areas_keep_their_own_tables_and_neither_counts_the_others_versions_as_newer()
    {
        var journal = await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);
        var sample = Sample("Good");
        var first = await sample.MigrateAsync(_db.DataSource, CancellationToken.None);
        var again = await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);

        Assert.Equal(["first", "second"], first.Applied.Select(m => m.Name));
        Assert.Equal(2, first.CurrentVersion);
        Assert.Empty(again.Applied);
        Assert.Equal((long)journal.Applied.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM sample_schema_migrations"));
    }

    [Fact]
    public async Task Each_area_takes_its_own_lock_so_a_held_journal_lock_does_not_block_another_area()
    {
        await using var holder = await _db.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({Journal.AdvisoryLockKey})", holder))
            await take.ExecuteNonQueryAsync();

        var result = await Sample("Good").MigrateAsync(_db.DataSource, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, result.Applied.Count);
        await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({Journal.AdvisoryLockKey})", holder);
        await release.ExecuteNonQueryAsync();
    }

    [Theory]
    [InlineData("BadName", "sample migration 1_short_version.sql: expected a name of the form NNNN_name.sql")]
    [InlineData("Twice", "two sample migrations have version 1")]
    public void Badly_named_or_duplicate_migrations_are_refused_when_the_migrator_is_built(string folder, string message)
    {
        var ex = Assert.Throws<SchemaMigrationException>(() => Sample(folder));
        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Schema_Migrations")]
    [InlineData("x; DROP TABLE tranlog")]
    [InlineData("1table")]
    public void A_table_name_that_is_not_a_plain_identifier_is_refused(string table)
    {
        var ex = Assert.Throws<ArgumentException>(() => Sample("Good", table));
        Assert.Equal("table", ex.ParamName);
    }

    [Fact]
    public async Task The_schema_refuses_a_clear_PAN_in_the_masked_PAN_column()
    {
        await Journal.MigrateAsync(_db.DataSource, CancellationToken.None);
        // A made-up 16-digit number that passes for a PAN in shape (I4: the column refuses it).
        await using var insert = _db.DataSource.CreateCommand("""
            INSERT INTO journal_leg (event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, final_response, reversal_rank, source_topic, source_partition, source_offset)
            VALUES (1, 1, 't', 'request_in', now(), '0100', '4000000000000002', false, 0, 'x', 0, 0)
            """);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal("journal_leg_pan_masked_is_masked", ex.ConstraintName);
    }
}
