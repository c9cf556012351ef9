using Npgsql;
using Switch.Journal.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>Versioned migrations: applied in order, once, one process at a time, and edits of applied ones refused.</summary>
public sealed class SchemaMigrationTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new() { Migrate = false };

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public void The_embedded_migrations_start_at_version_1_without_gaps()
    {
        var versions = SchemaMigrator.Embedded.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions);
        Assert.Equal("journal", SchemaMigrator.Embedded[0].Name);
    }

    [Fact]
    public async Task Migrate_creates_the_journal_tables_and_records_each_version()
    {
        var result = await SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None);

        Assert.Equal(SchemaMigrator.Embedded.Count, result.Applied.Count);
        Assert.Equal(SchemaMigrator.Embedded[^1].Version, result.CurrentVersion);
        foreach (string table in new[] { "journal_leg", "tranlog", "projection_offset", "projection_reject", "schema_migrations" })
            Assert.Equal(1L, await _db.ScalarAsync<long>($"SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '{table}'"));
        Assert.Equal((long)SchemaMigrator.Embedded.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrate_a_second_time_applies_nothing()
    {
        await SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None);
        var again = await SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None);

        Assert.Empty(again.Applied);
        Assert.Equal((long)SchemaMigrator.Embedded.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_migrations_take_turns_and_each_version_is_applied_once()
    {
        await using var other = NpgsqlDataSource.Create(_db.ConnectionString);
        var runs = await Task.WhenAll(
            Task.Run(() => SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None)),
            Task.Run(() => SchemaMigrator.MigrateAsync(other, CancellationToken.None)),
            Task.Run(() => SchemaMigrator.MigrateAsync(other, CancellationToken.None)));

        Assert.Equal(SchemaMigrator.Embedded.Count, runs.Sum(r => r.Applied.Count));
        Assert.Equal((long)SchemaMigrator.Embedded.Count, await _db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrate_waits_while_another_process_holds_the_migration_lock()
    {
        await using var holder = await _db.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({SchemaMigrator.AdvisoryLockKey})", holder))
            await take.ExecuteNonQueryAsync();

        await using var other = NpgsqlDataSource.Create(_db.ConnectionString);
        var run = Task.Run(() => SchemaMigrator.MigrateAsync(other, CancellationToken.None));
        await Task.Delay(500);
        Assert.False(run.IsCompleted);

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({SchemaMigrator.AdvisoryLockKey})", holder))
            await release.ExecuteNonQueryAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(SchemaMigrator.Embedded.Count, result.Applied.Count);
    }

    [Fact]
    public async Task Migrate_refuses_an_applied_migration_that_was_changed()
    {
        await SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None);
        await using (var edit = _db.DataSource.CreateCommand("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"))
            await edit.ExecuteNonQueryAsync();

        var ex = await Assert.ThrowsAsync<SchemaMigrationException>(() => SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None));
        Assert.Contains("migration 1 (journal) was changed after it was applied", ex.Message);
    }

    [Fact]
    public async Task Migrate_refuses_a_database_newer_than_this_build()
    {
        await SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None);
        await using (var ahead = _db.DataSource.CreateCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')"))
            await ahead.ExecuteNonQueryAsync();

        var ex = await Assert.ThrowsAsync<SchemaMigrationException>(() => SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None));
        Assert.Contains("schema version 9999, newer than this build", ex.Message);
    }

    [Fact]
    public async Task The_schema_refuses_a_clear_PAN_in_the_masked_PAN_column()
    {
        await SchemaMigrator.MigrateAsync(_db.DataSource, CancellationToken.None);
        // A made-up 16-digit number that passes for a PAN in shape (I4: the column refuses it).
        await using var insert = _db.DataSource.CreateCommand("""
            INSERT INTO journal_leg (event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, final_response, reversal_rank, source_topic, source_partition, source_offset)
            VALUES (1, 1, 't', 'request_in', now(), '0100', '4000000000000002', false, 0, 'x', 0, 0)
            """);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal("journal_leg_pan_masked_is_masked", ex.ConstraintName);
    }
}
