using Npgsql;
using Switch.Postgres;
using Xunit;

namespace Switch.Testing;

/// <summary>
/// A throwaway database on the shared development cluster (install/postgres.sh): created for one test class, dropped
/// after it. The cluster itself is never stopped.
/// </summary>
public class ThrowawayDatabase(string prefix = "test_") : IAsyncLifetime
{
    private static readonly string AdminConnectionString = PostgresOptions.DevelopmentConnectionString;

    /// <summary>The database's name (the prefix plus a random suffix).</summary>
    public string Name { get; } = prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A connection string for this database.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Name, Timeout = 3 }.ConnectionString;

    /// <summary>The same database reached at another host and port (a proxy, or a port where nothing listens).</summary>
    public string ConnectionStringAt(string host, int port) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Host = host, Port = port }.ConnectionString;

    /// <summary>The Postgres port of the shared cluster.</summary>
    public int Port => new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;

    /// <summary>Options pointing at this database.</summary>
    public PostgresOptions Options => new() { ConnectionString = ConnectionString, ConnectTimeoutMs = 3_000 };

    public virtual async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
        await create.ExecuteNonQueryAsync();
    }

    public virtual async Task DisposeAsync()
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
