using System.Text.Json;
using Npgsql;
using Switch.Routing.Postgres;
using static Switch.Routing.Tests.TestRoutes;

namespace Switch.Routing.Tests;

/// <summary>BIC and member-id routes in the Postgres store (real Postgres): audited add, update, remove, load, and the schema's own checks.</summary>
public sealed class AgentRouteStoreTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_bic_route_is_added_changed_and_removed_with_audit_rows_next_to_bin_routes()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        await store.AddAsync(R("agent-bin", "530000", "issuer-a"), "alice", Known, None);
        var add = await store.AddAsync(RouteRules.CreateAgent("agent-deut", RouteKeyKind.Bic, "DEUTDEFF", "issuer-b", 10, "issuer-c", "978"), "alice", Known, None);
        Assert.Empty(add.Warnings);
        var update = await store.UpdateAsync("agent-deut", new RoutePatch(MemberId: "091000019", Currency: RoutePatch.None), "bob", Known, None);
        Assert.Equal((RouteKeyKind.MemberId, "091000019", (string?)null), (update.After!.KeyKind, update.After.MemberId, update.After.Currency));

        RouteTable table = await store.LoadAsync(None);
        Assert.Equal("agent-deut", table.LookupAgent(new AgentRouteRequest(null, "091000019", null))!.Name);
        Assert.Equal("agent-bin", Find(table, "5300001234567890")!.Name);
        var listed = await store.ListAsync(None);
        Assert.Equal("091000019", listed.Single(s => s.Route.Name == "agent-deut").Route.MemberId);

        await store.RemoveAsync("agent-deut", "carol", None);
        var rows = (await store.AuditAsync("agent-deut", 10, None)).Reverse().ToList();
        Assert.Equal(["add", "update", "remove"], rows.Select(r => r.Action));
        Assert.Equal("DEUTDEFF", Field(rows[0].After, "bic"));
        Assert.Null(Field(rows[0].After, "bin"));
        Assert.Equal("091000019", Field(rows[1].After, "member_id"));
        Assert.Null(Field(rows[1].After, "bic"));
        Assert.Null(rows[2].After);
        // The BIN route's stored row and JSON are as before the migration.
        var bin = (await store.AuditAsync("agent-bin", 10, None)).Single();
        using (var doc = JsonDocument.Parse(bin.After!))
            Assert.DoesNotContain(doc.RootElement.EnumerateObject(), p => p.Name is "bic" or "member_id");
    }

    [Fact]
    public async Task Overlapping_bic_routes_are_warned_about_and_unknown_destinations_refused()
    {
        var (dataSource, store) = await db.OpenStoreAsync();
        await using var _ = dataSource;
        await store.AddAsync(RouteRules.CreateAgent("ov-inst", RouteKeyKind.Bic, "COBADEFF", "issuer-a"), "alice", Known, None);
        var branch = await store.AddAsync(RouteRules.CreateAgent("ov-branch", RouteKeyKind.Bic, "COBADEFF100", "issuer-b"), "alice", Known, None);
        Assert.Equal("overlaps route ov-inst (BIC COBADEFF): branch COBADEFF100 now goes to issuer-b instead of issuer-a (the 11-character BIC wins)", Assert.Single(branch.Warnings));
        var refused = await Assert.ThrowsAsync<RoutingException>(() => store.AddAsync(RouteRules.CreateAgent("ov-x", RouteKeyKind.Bic, "COBADEFF", "peer-20022"), "alice", Known, None));
        Assert.StartsWith("--destination: unknown destination 'peer-20022'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_schema_refuses_a_row_with_two_keys_or_a_bad_bic_written_by_hand()
    {
        var (dataSource, _) = await db.OpenStoreAsync();
        await using var __ = dataSource;
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (string values in new[] { "'530001', 'DEUTDEFF', NULL", "NULL, 'deutdeff', NULL", "NULL, NULL, NULL" })
        {
            await using var command = new NpgsqlCommand($"INSERT INTO route (name, bin_prefix, bic, member_id, destination, priority, updated_by) VALUES ('hand', {values}, 'issuer-a', 1, 'x')", connection);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.CheckViolation, ex.SqlState);
        }
    }

    private static string? Field(string? json, string name)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : null;
    }
}
