using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Switch.Iso8583.Vocabulary;
using Switch.Postgres;

namespace Switch.Routing.Postgres;

/// <summary>A route as stored: the route and who changed it last, when.</summary>
public sealed record StoredRoute(Route Route, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>One committed change: the route before and after (null for an add's before and a remove's after), the table version it made, warnings.</summary>
public sealed record RouteChange(string Action, Route? Before, Route? After, long Version, IReadOnlyList<string> Warnings);

/// <summary>One audit row: who changed which route, when, from what to what (the JSON of <see cref="RouteJson"/>).</summary>
public sealed record RouteAuditEntry(long Id, string RouteName, string Action, string Operator, DateTimeOffset ChangedAt, long Version, string? Before, string? After);

/// <summary>
/// The operators' route table in Postgres. Every change is one transaction that bumps the table version (serializing
/// concurrent changes), writes the route and its audit row, and NOTIFYs <see cref="Channel"/> with the new version,
/// which Postgres delivers at commit. With Postgres unreachable every call throws <see cref="RoutingUnavailableException"/>.
/// </summary>
public sealed class RouteStore(NpgsqlDataSource dataSource, string describe, RoutingOptions options)
{
    /// <summary>The LISTEN/NOTIFY channel of route changes; the payload is the new table version.</summary>
    public const string Channel = "switch_routes";

    /// <summary>
    /// Routing's schema: the migrations embedded from Postgres/Migrations, recorded in its own routing_schema_migrations
    /// table (the journal keeps its own) under advisory-lock key "SWROUTNG" as 8 bytes.
    /// </summary>
    public static SchemaMigrator Schema { get; } =
        new("routing", typeof(RouteStore).Assembly, "Switch.Routing.Postgres.Migrations.", "routing_schema_migrations", 0x5357_524F_5554_4E47);

    private const string Columns = "name, bin_prefix, destination, priority, failover, mti_class, processing_code, currency, bic, member_id";

    /// <summary>Applies routing's schema migrations; an edited applied migration or a newer database is a <see cref="RoutingException"/>.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken) => GuardAsync("route change refused", async () =>
    {
        try
        {
            await Schema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
        }
        catch (SchemaMigrationException ex)
        {
            throw new RoutingException($"route change refused: {ex.Message}");
        }
        return 0;
    });

    /// <summary>The whole table as one consistent snapshot.</summary>
    public Task<RouteTable> LoadAsync(CancellationToken cancellationToken) => GuardAsync("routes cannot be read", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadTableAsync(connection, options.RoutesMax, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return RouteTable.Empty; // no route was ever added to this database
        }
    });

    /// <summary>Every route with who changed it last, sorted by name.</summary>
    public Task<IReadOnlyList<StoredRoute>> ListAsync(CancellationToken cancellationToken) => GuardAsync<IReadOnlyList<StoredRoute>>("routes cannot be read", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT {Columns}, updated_at, updated_by FROM route ORDER BY name LIMIT $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.RoutesMax });
        var list = new List<StoredRoute>();
        NpgsqlDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return list; // no route was ever added to this database
        }
        await using var _ = reader;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new StoredRoute(ReadRoute(reader), reader.GetFieldValue<DateTimeOffset>(10), reader.GetString(11)));
        return list;
    });

    /// <summary>Adds a route; refuses an existing name, an unknown destination, a full table.</summary>
    public Task<RouteChange> AddAsync(Route route, string operatorName, KnownDestinations known, CancellationToken cancellationToken) =>
        ChangeAsync("add", route.Name, operatorName, async (connection, before) =>
        {
            if (before is not null) throw new RoutingException($"route '{route.Name}' already exists; use routes update");
            if (await CountAsync(connection, cancellationToken).ConfigureAwait(false) >= options.RoutesMax)
                throw new RoutingException($"the route table is full ({options.RoutesMax} routes, routing.routesMax)");
            known.Require(route);
            return route;
        }, cancellationToken);

    /// <summary>Changes the parts of a route the patch gives; refuses a missing route and an unknown destination.</summary>
    public Task<RouteChange> UpdateAsync(string name, RoutePatch patch, string operatorName, KnownDestinations known, CancellationToken cancellationToken) =>
        ChangeAsync("update", name, operatorName, (_, before) =>
        {
            if (before is null) throw new RoutingException($"no route named '{name}'");
            Route after = patch.ApplyTo(before);
            known.Require(after);
            return Task.FromResult<Route?>(after);
        }, cancellationToken);

    /// <summary>Removes a route; refuses a missing one.</summary>
    public Task<RouteChange> RemoveAsync(string name, string operatorName, CancellationToken cancellationToken) =>
        ChangeAsync("remove", name, operatorName, (_, before) =>
            before is null ? throw new RoutingException($"no route named '{name}'") : Task.FromResult<Route?>(null), cancellationToken);

    /// <summary>The newest audit rows (of one route, or of all when <paramref name="name"/> is null), newest first.</summary>
    public Task<IReadOnlyList<RouteAuditEntry>> AuditAsync(string? name, int limit, CancellationToken cancellationToken) => GuardAsync<IReadOnlyList<RouteAuditEntry>>("routes cannot be read", async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT id, route_name, action, operator, changed_at, version, before::text, after::text FROM route_audit
            WHERE $1::text IS NULL OR route_name = $1 ORDER BY id DESC LIMIT $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 10_000) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<RouteAuditEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new RouteAuditEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rows;
    });

    /// <summary>Reads the version and every route in one repeatable-read snapshot; refuses more than <paramref name="routesMax"/> routes.</summary>
    internal static async Task<RouteTable> ReadTableAsync(NpgsqlConnection connection, int routesMax, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        long version;
        await using (var command = new NpgsqlCommand("SELECT version FROM route_table_version", connection, transaction))
            version = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        var routes = new List<Route>();
        await using (var command = new NpgsqlCommand($"SELECT {Columns} FROM route LIMIT $1", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = routesMax + 1 });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                routes.Add(ReadRoute(reader));
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (routes.Count > routesMax) throw new RoutingException($"the stored route table has more than {routesMax} routes (routing.routesMax)");
        return RouteTable.Build(routes, version);
    }

    private delegate Task<Route?> Decide(NpgsqlConnection connection, Route? before);

    private Task<RouteChange> ChangeAsync(string action, string name, string operatorName, Decide decide, CancellationToken cancellationToken)
    {
        RouteRules.RequireName("--name", name);
        RouteRules.RequireOperator(operatorName);
        return GuardAsync("route change refused", async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // The version row's lock serializes changes, so the overlap check below sees every committed route.
            long version = await ScalarAsync<long>(connection, "UPDATE route_table_version SET version = version + 1 RETURNING version", cancellationToken).ConfigureAwait(false);
            Route? before = await ReadOneAsync(connection, name, cancellationToken).ConfigureAwait(false);
            Route? after = await decide(connection, before).ConfigureAwait(false);
            IReadOnlyList<string> warnings = after is null ? [] : await OverlapsAsync(connection, after, cancellationToken).ConfigureAwait(false);
            await WriteAsync(connection, action, before, after, operatorName, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, """
                INSERT INTO route_audit (route_name, action, operator, version, before, after) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)
                """, cancellationToken, name, action, operatorName, version, Json(before), Json(after)).ConfigureAwait(false);
            await ExecuteAsync(connection, $"SELECT pg_notify('{Channel}', $1)", cancellationToken, version.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new RouteChange(action, before, after, version, warnings);
        });
    }

    private static async Task WriteAsync(NpgsqlConnection connection, string action, Route? before, Route? after, string operatorName, CancellationToken cancellationToken)
    {
        if (after is null)
        {
            await ExecuteAsync(connection, "DELETE FROM route WHERE name = $1", cancellationToken, before!.Name).ConfigureAwait(false);
            return;
        }
        string sql = action == "add"
            ? $"INSERT INTO route ({Columns}, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            : """
              UPDATE route SET bin_prefix = $2, destination = $3, priority = $4, failover = $5, mti_class = $6,
                  processing_code = $7, currency = $8, bic = $9, member_id = $10, updated_by = $11, updated_at = now() WHERE name = $1
              """;
        await ExecuteAsync(connection, sql, cancellationToken, after.Name, after.KeyKind == RouteKeyKind.Bin ? after.BinPrefix : null,
            after.Destination, after.Priority, after.Failover, after.MtiClass is { } c ? (short)c : null, after.ProcessingCode, after.Currency,
            after.Bic, after.MemberId, operatorName).ConfigureAwait(false);
    }

    /// <summary>Warnings against the routes whose prefix starts the new one's or is started by it (the only ones that can overlap).</summary>
    private static async Task<IReadOnlyList<string>> OverlapsAsync(NpgsqlConnection connection, Route route, CancellationToken cancellationToken)
    {
        // Agent routes overlap only routes of the same key kind whose key shares the BIC's first 8 characters, or the same member id.
        string where = route.KeyKind switch
        {
            RouteKeyKind.Bic => "left(bic, 8) = left($2, 8)",
            RouteKeyKind.MemberId => "member_id = $2",
            _ => "(left($2, length(bin_prefix)) = bin_prefix OR left(bin_prefix, length($2)) = $2)",
        };
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM route WHERE name <> $1 AND {where}
            ORDER BY name LIMIT 1000
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = route.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = route.Key });
        var related = new List<Route>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) related.Add(ReadRoute(reader));
        }
        return RouteTable.Build(related, 0).OverlapWarnings(route);
    }

    private static async Task<Route?> ReadOneAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM route WHERE name = $1 FOR UPDATE", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRoute(reader) : null;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await ScalarAsync<long>(connection, "SELECT count(*) FROM route", cancellationToken).ConfigureAwait(false);

    /// <summary>A stored row as a route, validated again (a row edited by hand must not reach the table unchecked).</summary>
    private static Route ReadRoute(NpgsqlDataReader reader)
    {
        string name = reader.GetString(0);
        try
        {
            if (!reader.IsDBNull(8) || !reader.IsDBNull(9))
            {
                return RouteRules.CreateAgent(name, reader.IsDBNull(8) ? RouteKeyKind.MemberId : RouteKeyKind.Bic,
                    reader.IsDBNull(8) ? reader.GetString(9) : reader.GetString(8), reader.GetString(2), reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(7) ? null : reader.GetString(7));
            }
            return RouteRules.Create(name, reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : (MtiClass)reader.GetInt16(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7));
        }
        catch (RoutingException ex)
        {
            throw new RoutingException($"stored route '{name}' is invalid: {ex.Message}");
        }
    }

    private static string? Json(Route? route) => route is null ? null : RouteJson.Serialize(route);

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, []);
        return (T)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(connection, sql, values);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (object? value in values)
        {
            command.Parameters.Add(value is null
                ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown }
                : new NpgsqlParameter { Value = value });
        }
        return command;
    }

    /// <summary>Turns the driver's failures into the operator's: unreachable (F12) or refused by Postgres.</summary>
    private async Task<T> GuardAsync<T>(string refused, Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new RoutingException($"{refused}: Postgres said {ex.SqlState}: {ex.MessageText}");
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            string reason = (ex.InnerException ?? ex).Message.ReplaceLineEndings(" ");
            throw new RoutingUnavailableException(
                $"{refused}: Postgres at {describe} is unreachable ({reason}); a running switch keeps routing from its in-memory table", ex);
        }
    }
}

/// <summary>The JSON form of a route, used by the audit trail and the CLI's --json output.</summary>
public static class RouteJson
{
    /// <summary>The route as a JSON object (absent optional parts are null).</summary>
    public static string Serialize(Route route) => JsonSerializer.Serialize(ToDictionary(route));

    /// <summary>
    /// The route's parts by their CLI names. A BIN route's object is as it always was; an ISO 20022 route's has
    /// <c>bin</c> null and adds <c>bic</c> and <c>member_id</c> (one of them set).
    /// </summary>
    public static Dictionary<string, object?> ToDictionary(Route route) => route.KeyKind == RouteKeyKind.Bin ? BinDictionary(route) : new()
    {
        ["name"] = route.Name,
        ["bin"] = null,
        ["bic"] = route.Bic,
        ["member_id"] = route.MemberId,
        ["destination"] = route.Destination,
        ["priority"] = route.Priority,
        ["failover"] = route.Failover,
        ["mti_class"] = null,
        ["processing_code"] = null,
        ["currency"] = route.Currency,
    };

    private static Dictionary<string, object?> BinDictionary(Route route) => new()
    {
        ["name"] = route.Name,
        ["bin"] = route.BinPrefix,
        ["destination"] = route.Destination,
        ["priority"] = route.Priority,
        ["failover"] = route.Failover,
        ["mti_class"] = route.MtiClassText,
        ["processing_code"] = route.ProcessingCode,
        ["currency"] = route.Currency,
    };
}
