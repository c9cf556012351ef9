using System.Text.Json;
using Npgsql;
using Switch.Common.Configuration;
using Switch.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// The shared "postgres" configuration section (Switch.Postgres.PostgresOptions, bound by the journal and routing alike):
/// defaults, binding, validation messages that name the key, the data source it builds.
/// </summary>
public sealed class PostgresOptionsTests
{
    private static ConfigSection Section(string json) => new("config/switch.json", "postgres", JsonDocument.Parse(json).RootElement);

    [Fact]
    public void An_empty_section_means_the_development_database()
    {
        var options = PostgresOptions.FromSection(Section("{}"));
        Assert.Equal(PostgresOptions.DevelopmentConnectionString, options.ConnectionString);
        Assert.Equal("127.0.0.1:5432/switch as switch", options.Describe());
    }

    [Fact]
    public void Values_are_bound_from_camel_case_keys()
    {
        var options = PostgresOptions.FromSection(Section("""
            { "connectionString": "Host=db.example;Database=sw;Username=u;Password=p", "poolConnectionsMax": 4, "connectTimeoutMs": 2000, "commandTimeoutMs": 9000 }
            """));
        Assert.Equal(4, options.PoolConnectionsMax);
        Assert.Equal(2000, options.ConnectTimeoutMs);
        Assert.Equal(9000, options.CommandTimeoutMs);
        Assert.Equal("db.example:5432/sw as u", options.Describe());
    }

    [Theory]
    [InlineData("""{ "connectionString": "" }""", "postgres.connectionString: is empty")]
    [InlineData("""{ "connectionString": "Database=x" }""", "postgres.connectionString: names no Host")]
    [InlineData("""{ "connectionString": "Host=h;Bogus Key=1" }""", "postgres.connectionString: is not a valid connection string")]
    [InlineData("""{ "poolConnectionsMax": 0 }""", "postgres.poolConnectionsMax: is 0; expected 1 to 1000")]
    [InlineData("""{ "connectTimeoutMs": 5 }""", "postgres.connectTimeoutMs: is 5; expected 100 to 600000")]
    [InlineData("""{ "commandTimeoutMs": -1 }""", "postgres.commandTimeoutMs: is -1")]
    [InlineData("""{ "poolSize": 3 }""", "postgres.poolSize: is not a known key")]
    [InlineData("""{ "connectTimeoutMs": "soon" }""", "postgres.connectTimeoutMs: has a value of the wrong type")]
    public void A_bad_value_is_refused_naming_the_file_and_key(string json, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => PostgresOptions.FromSection(Section(json)));
        Assert.StartsWith("config/switch.json: ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void A_bad_connection_string_is_reported_without_its_password()
    {
        var ex = Assert.Throws<ConfigException>(() => PostgresOptions.FromSection(Section("""{ "connectionString": "Password=hunter2-secret" }""")));
        Assert.DoesNotContain("hunter2-secret", ex.Message);
    }

    [Fact]
    public void The_data_source_carries_the_pool_size_and_timeouts_rounded_up_to_seconds_and_describe_hides_the_password()
    {
        var options = PostgresOptions.FromSection(Section("""
            { "connectionString": "Host=db.example;Database=sw;Username=u;Password=hunter2-secret", "poolConnectionsMax": 3, "connectTimeoutMs": 1500, "commandTimeoutMs": 100 }
            """));
        using var dataSource = options.CreateDataSource();
        var built = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);

        Assert.Equal(3, built.MaxPoolSize);
        Assert.Equal(2, built.Timeout);
        Assert.Equal(1, built.CommandTimeout);
        Assert.Equal(5, built.KeepAlive);
        Assert.DoesNotContain("hunter2-secret", options.Describe());
    }
}
