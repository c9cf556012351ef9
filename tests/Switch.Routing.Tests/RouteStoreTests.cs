using System.Text.Json;
using Switch.Iso8583.Vocabulary;
using Switch.Routing.Postgres;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>The Postgres route store (real Postgres): audited changes, refusals, the table version, migrations.</summary>
public sealed class RouteStoreTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Each_change_writes_an_audit_row_with_who_when_before_and_after()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        var add = await store.AddAsync(R("audit-me", "520000", "issuer-a", priority: 7, failover: "stand-in", mti: MtiClass.Financial, pc: "00", ccy: "978"), "alice", Known, None);
        var update = await store.UpdateAsync("audit-me", new RoutePatch(Destination: "issuer-b", Failover: RoutePatch.None, Currency: "840"), "bob", Known, None);
        var remove = await store.RemoveAsync("audit-me", "carol", None);
        Assert.True(add.Version < update.Version && update.Version < remove.Version);

        var rows = (await store.AuditAsync("audit-me", 10, None)).Reverse().ToList();
        Assert.Equal(["add", "update", "remove"], rows.Select(r => r.Action));
        Assert.Equal(["alice", "bob", "carol"], rows.Select(r => r.Operator));
        Assert.Equal([add.Version, update.Version, remove.Version], rows.Select(r => r.Version));
        Assert.All(rows, r => Assert.InRange(r.ChangedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5)));

        Assert.Null(rows[0].Before);
        Assert.Equal("issuer-a", Field(rows[0].After, "destination"));
        Assert.Equal("02", Field(rows[0].After, "mti_class"));
        Assert.Equal("stand-in", Field(rows[1].Before, "failover"));
        Assert.Equal("978", Field(rows[1].Before, "currency"));
        Assert.Equal("issuer-b", Field(rows[1].After, "destination"));
        Assert.Null(Field(rows[1].After, "failover"));
        Assert.Equal("840", Field(rows[1].After, "currency"));
        Assert.Equal("issuer-b", Field(rows[2].Before, "destination"));
        Assert.Null(rows[2].After);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM route WHERE name = 'audit-me'"));
    }

    [Fact]
    public async Task An_update_keeps_what_it_does_not_name_and_the_table_shows_the_result()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        await store.AddAsync(R("keep-parts", "530000", "issuer-a", priority: 9, failover: "on-us", pc: "01"), "alice", Known, None);
        var change = await store.UpdateAsync("keep-parts", new RoutePatch(Priority: 3), "bob", Known, None);
        Assert.Equal(R("keep-parts", "530000", "issuer-a", priority: 3, failover: "on-us", pc: "01"), change.After);
        var table = await store.LoadAsync(None);
        Assert.True(table.Version >= change.Version);
        Assert.Equal(3, table.Routes.Single(r => r.Name == "keep-parts").Priority);
        var listed = (await store.ListAsync(None)).Single(s => s.Route.Name == "keep-parts");
        Assert.Equal("bob", listed.UpdatedBy);
    }

    [Fact]
    public async Task Unknown_destinations_duplicates_and_missing_routes_are_refused_and_leave_no_trace()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        long versionBefore = await db.ScalarAsync<long>("SELECT version FROM route_table_version");
        var unknown = await Assert.ThrowsAsync<RoutingException>(() => store.AddAsync(R("to-amex", "371449", "amex"), "alice", Known, None));
        Assert.StartsWith("--destination: unknown destination 'amex'", unknown.Message, StringComparison.Ordinal);
        var badFailover = await Assert.ThrowsAsync<RoutingException>(() => store.AddAsync(R("to-a", "371449", "issuer-a", failover: "gone"), "alice", Known, None));
        Assert.StartsWith("--failover: unknown destination 'gone'", badFailover.Message, StringComparison.Ordinal);
        Assert.Equal(versionBefore, await db.ScalarAsync<long>("SELECT version FROM route_table_version"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM route_audit WHERE route_name IN ('to-amex', 'to-a')"));

        await store.AddAsync(R("twice", "540000"), "alice", Known, None);
        var dup = await Assert.ThrowsAsync<RoutingException>(() => store.AddAsync(R("twice", "550000"), "alice", Known, None));
        Assert.Equal("route 'twice' already exists; use routes update", dup.Message);
        var updateUnknown = await Assert.ThrowsAsync<RoutingException>(() => store.UpdateAsync("twice", new RoutePatch(Destination: "nowhere"), "bob", Known, None));
        Assert.StartsWith("--destination: unknown destination 'nowhere'", updateUnknown.Message, StringComparison.Ordinal);
        Assert.Equal("no route named 'ghost'", (await Assert.ThrowsAsync<RoutingException>(() => store.RemoveAsync("ghost", "carol", None))).Message);
        Assert.Equal("no route named 'ghost'", (await Assert.ThrowsAsync<RoutingException>(() => store.UpdateAsync("ghost", new RoutePatch(Priority: 1), "carol", Known, None))).Message);
        Assert.Equal("540000", (await store.LoadAsync(None)).Routes.Single(r => r.Name == "twice").BinPrefix);
    }

    [Fact]
    public async Task An_overlapping_route_is_added_with_its_warnings()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        await store.AddAsync(R("wide-560", "560000", "issuer-a"), "alice", Known, None);
        var change = await store.AddAsync(R("narrow-560", "56000011", "issuer-b"), "alice", Known, None);
        Assert.Equal("overlaps route wide-560 (BIN 560000): PANs starting 56000011 now go to issuer-b instead of issuer-a (longer prefix wins)", Assert.Single(change.Warnings));
        Assert.Contains(change.After, (await store.LoadAsync(None)).Routes);
    }

    [Fact]
    public async Task The_table_is_full_at_routes_max()
    {
        var (dataSource, store) = await db.OpenStoreAsync(new RoutingOptions { RoutesMax = 1_000 });
        await using var _ = dataSource;
        long count = await db.ScalarAsync<long>("SELECT count(*) FROM route");
        var (small, smallStore) = await db.OpenStoreAsync(new RoutingOptions { RoutesMax = (int)count + 1 });
        await using var __ = small;
        await smallStore.AddAsync(R("last-seat", "570000"), "alice", Known, None);
        var full = await Assert.ThrowsAsync<RoutingException>(() => smallStore.AddAsync(R("no-seat", "580000"), "alice", Known, None));
        Assert.Equal($"the route table is full ({count + 1} routes, routing.routesMax)", full.Message);
        await store.RemoveAsync("last-seat", "alice", None);
    }

    [Fact]
    public async Task Migrations_are_recorded_in_their_own_table_and_a_second_run_applies_nothing()
    {
        var (dataSource, _) = await db.OpenStoreAsync();
        await using var __ = dataSource;
        var again = await RouteStore.Schema.MigrateAsync(dataSource, None);
        Assert.Equal("routing", again.Area);
        Assert.Empty(again.Applied);
        Assert.Equal((long)RouteStore.Schema.Embedded.Count, await db.ScalarAsync<long>("SELECT count(*) FROM routing_schema_migrations"));
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT min(version) FROM routing_schema_migrations"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"));
    }

    [Fact]
    public async Task An_edited_applied_routing_migration_refuses_the_change_naming_the_migration()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        var first = RouteStore.Schema.Embedded[0];
        await db.ScalarAsync<int>("WITH u AS (UPDATE routing_schema_migrations SET checksum = 'edited' WHERE version = 1 RETURNING 1) SELECT count(*)::int FROM u");
        try
        {
            var ex = await Assert.ThrowsAsync<RoutingException>(() => store.MigrateAsync(None));
            Assert.Equal($"route change refused: routing migration 1 ({first.Name}) was changed after it was applied", ex.Message);
        }
        finally
        {
            await db.ScalarAsync<int>($"WITH u AS (UPDATE routing_schema_migrations SET checksum = '{first.Checksum}' WHERE version = 1 RETURNING 1) SELECT count(*)::int FROM u");
        }
    }

    [Fact]
    public async Task A_row_edited_by_hand_past_the_rules_is_refused_on_load()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        await store.AddAsync(R("hand-edited", "590000", "issuer-a"), "alice", Known, None);
        await db.ScalarAsync<int>("WITH u AS (UPDATE route SET destination = 'bad name!' WHERE name = 'hand-edited' RETURNING 1) SELECT count(*)::int FROM u");
        var ex = await Assert.ThrowsAsync<RoutingException>(() => store.LoadAsync(None));
        Assert.StartsWith("stored route 'hand-edited' is invalid: --destination:", ex.Message, StringComparison.Ordinal);
        await db.ScalarAsync<int>("WITH d AS (DELETE FROM route WHERE name = 'hand-edited' RETURNING 1) SELECT count(*)::int FROM d");
        Assert.DoesNotContain((await store.LoadAsync(None)).Routes, r => r.Name == "hand-edited");
    }

    private static string? Field(string? json, string name)
    {
        Assert.NotNull(json);
        using var doc = JsonDocument.Parse(json);
        var value = doc.RootElement.GetProperty(name);
        return value.ValueKind == JsonValueKind.Null ? null : value.GetString();
    }
}
