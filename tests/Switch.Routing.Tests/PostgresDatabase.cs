using Npgsql;
using Switch.Postgres;
using Switch.Routing.Postgres;

namespace Switch.Routing.Tests;

/// <summary>
/// A throwaway database on the shared development cluster (install/postgres.sh): created for one test class, dropped
/// after it. The cluster itself is never stopped.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private static readonly string AdminConnectionString = PostgresOptions.DevelopmentConnectionString;

    /// <summary>The database's name (routing_test_ plus a random suffix).</summary>
    public string Name { get; } = "routing_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A connection string for this database on the real port.</summary>
    public string ConnectionString => ConnectionStringAt(new NpgsqlConnectionStringBuilder(AdminConnectionString).Host!, new NpgsqlConnectionStringBuilder(AdminConnectionString).Port);

    /// <summary>The same database reached at another host and port (a proxy, or a port where nothing listens).</summary>
    public string ConnectionStringAt(string host, int port) => new NpgsqlConnectionStringBuilder(AdminConnectionString)
    {
        Host = host,
        Port = port,
        Database = Name,
        Timeout = 3,
    }.ConnectionString;

    /// <summary>The Postgres port of the shared cluster.</summary>
    public int Port => new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;

    /// <summary>Options pointing at this database.</summary>
    public PostgresOptions Options => new() { ConnectionString = ConnectionString, ConnectTimeoutMs = 3_000 };

    /// <summary>A migrated store on this database.</summary>
    public async Task<(NpgsqlDataSource DataSource, RouteStore Store)> OpenStoreAsync(RoutingOptions? routing = null)
    {
        var dataSource = Options.CreateDataSource();
        var store = new RouteStore(dataSource, Options.Describe(), routing ?? new RoutingOptions());
        await store.MigrateAsync(CancellationToken.None);
        return (dataSource, store);
    }

    public async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>One value from the database (for checking rows the code under test wrote).</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
