using Npgsql;
using Switch.Common.Configuration;

namespace Switch.Postgres;

/// <summary>
/// The "postgres" section of the host's configuration, one for every area (journal projection, routing): where the
/// database is and how long anything may take.
/// </summary>
public sealed class PostgresOptions
{
    /// <summary>
    /// The local development database that install/postgres.sh creates (DEVELOPMENT ONLY: its password is public).
    /// Used when the configuration has no "postgres" section.
    /// </summary>
    public const string DevelopmentConnectionString =
        "Host=127.0.0.1;Port=5432;Database=switch;Username=switch;Password=switch-dev-only";

    /// <summary>An Npgsql connection string (keys such as Host, Port, Database, Username, Password, SSL Mode).</summary>
    public string ConnectionString { get; init; } = DevelopmentConnectionString;

    /// <summary>Most pooled connections one process opens.</summary>
    public int PoolConnectionsMax { get; init; } = 16;

    /// <summary>How long opening a connection may take.</summary>
    public int ConnectTimeoutMs { get; init; } = 5_000;

    /// <summary>How long one statement may run (a journal projector batch is one COPY plus two statements).</summary>
    public int CommandTimeoutMs { get; init; } = 30_000;

    /// <summary>The defaults: the development database.</summary>
    public static PostgresOptions Development { get; } = new();

    /// <summary>Binds and validates the section; every problem names the key.</summary>
    public static PostgresOptions FromSection(ConfigSection section)
    {
        var options = section.Bind<PostgresOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws <see cref="ConfigException"/> (through <paramref name="section"/>) for the first bad value.</summary>
    public void Validate(ConfigSection section)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw section.Error("connectionString", "is empty; expected an Npgsql connection string");
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (string.IsNullOrEmpty(builder.Host)) throw section.Error("connectionString", "names no Host");
            if (string.IsNullOrEmpty(builder.Database)) throw section.Error("connectionString", "names no Database");
        }
        catch (ArgumentException ex)
        {
            // The driver's message names the offending keyword, never the password's value.
            throw section.Error("connectionString", $"is not a valid connection string ({ex.Message})");
        }
        RequireRange(section, "poolConnectionsMax", PoolConnectionsMax, 1, 1_000);
        RequireRange(section, "connectTimeoutMs", ConnectTimeoutMs, 100, 600_000);
        RequireRange(section, "commandTimeoutMs", CommandTimeoutMs, 100, 3_600_000);
    }

    /// <summary>A data source with this configuration's pool size and timeouts (Npgsql counts timeouts in seconds).</summary>
    public NpgsqlDataSource CreateDataSource()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString)
        {
            MaxPoolSize = PoolConnectionsMax,
            Timeout = SecondsOf(ConnectTimeoutMs),
            CommandTimeout = SecondsOf(CommandTimeoutMs),
            // A LISTEN connection (routing's reload) must notice a dead server even when idle.
            KeepAlive = 5,
        };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>The connection string with its password removed, for messages.</summary>
    public string Describe()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}";
    }

    private static int SecondsOf(int ms) => Math.Max(1, (ms + 999) / 1000);

    private static void RequireRange(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"is {value}; expected {min} to {max}");
    }
}
