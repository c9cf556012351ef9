using Npgsql;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;
using Switch.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// A database of its own on the shared development cluster (install/postgres.sh), migrated, dropped afterwards.
/// SWITCH_TEST_POSTGRES overrides the server's connection string (the database name is always the test's own).
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private readonly string _admin;

    /// <summary>Creates the settings; the database exists after <see cref="InitializeAsync"/>.</summary>
    public TestDatabase() : this(Environment.GetEnvironmentVariable("SWITCH_TEST_POSTGRES") ?? PostgresOptions.DevelopmentConnectionString)
    {
    }

    /// <summary>A test database on the server of <paramref name="adminConnectionString"/>.</summary>
    public TestDatabase(string adminConnectionString)
    {
        _admin = adminConnectionString;
        Name = "switch_test_" + Guid.NewGuid().ToString("N")[..12];
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = Name, Pooling = true }.ConnectionString;
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>A connection string to it.</summary>
    public string ConnectionString { get; }

    /// <summary>A pooled data source on it.</summary>
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>Whether the schema is applied at start (tests of the migrator say no).</summary>
    public bool Migrate { get; init; } = true;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(_admin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        if (Migrate) await ProjectionHost.Schema.MigrateAsync(DataSource, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is "42501" or "55006" && attempt < 20)
            {
                // An autovacuum worker (a superuser's process) may hold the database for a moment.
                await Task.Delay(500);
            }
        }
    }

    /// <summary>A single value from a query.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
